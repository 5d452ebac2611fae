// The media-node stack against Pulumi's runtime mocks: every resource's inputs and options, and what two runs differ in.
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { parse, stringify } from 'yaml';
import { mediaNode, nvr, school } from '../test/fixtures/fleet.js';
import { FakeHetzner, valueOf, type Registration, type SecretValue } from '../test/fakes/hcloud.js';
import { PRIVATE_PORTS } from '../operator/core/media-host.js';
import { parseStackConfig } from './config.js';
import { stackMediaNodeLabels } from './outputs.js';
import { mediaNodeStack } from './program.js';
import type { MediaNodeStack } from './media-nodes.js';

const TOKEN = 'K10f3c1d2e4b5a6978812345678::server:9b1e4c7a2d5f8e3b6a0c1d4e7f2a5b8c';
const ADMIN_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMv2n8c1tq3Zq0x8a9pOq8w1b2c3d4e5f6g7h8i9j0kL ops@posbon';
const ZONE = 'media.posbon.example.org';

interface Pool {
  name: string;
  location: string;
  serverType: string;
  count: number;
  retired?: number[];
  region?: string;
  labels?: Record<string, string>;
  taints?: Array<{ key: string; value: string; effect: string }>;
}

const fsn1 = (count: number, extra: Partial<Pool> = {}): Pool => ({
  name: 'fsn1',
  location: 'fsn1',
  serverType: 'ccx23',
  count,
  ...extra,
});

async function fleetDir(objects: object[] = []): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'posbon-fleet-'));
  await mkdir(join(dir, 'media-nodes'), { recursive: true });
  await Promise.all(objects.map((o, i) => writeFile(join(dir, `object-${i}.yaml`), stringify(o))));
  return dir;
}

const stackConfig = (pools: Pool[], fleet: string, overrides: Record<string, unknown> = {}): Record<string, string> => {
  const values: Record<string, unknown> = {
    pools,
    admin: { sshKeys: [ADMIN_KEY], cidrs: ['203.0.113.0/28', '2001:db8:ad::/48'] },
    cluster: {
      server: 'https://10.0.1.2:6443',
      networkId: 4711,
      k3sVersion: 'v1.33.5+k3s1',
      k3sSha256: 'ab'.repeat(32),
    },
    dns: { zone: ZONE },
    fleetDir: fleet,
    ...overrides,
  };
  return {
    ...Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])),
    joinToken: TOKEN,
  };
};

const hetzner = new FakeHetzner();

async function run(
  config: Record<string, string>,
): Promise<{ resources: Map<string, Registration>; outputs: { nodes: unknown[]; retired: unknown[] } }> {
  let outputs = { nodes: [] as unknown[], retired: [] as unknown[] };
  const resources = await hetzner.run(
    config,
    () => mediaNodeStack(new pulumi.Config('posbon-media')),
    async (stack: MediaNodeStack) => {
      outputs = { nodes: await valueOf(stack.nodes), retired: await valueOf(stack.retired) };
    },
  );
  return { resources, outputs };
}

const ofType = (resources: Map<string, Registration>, type: string) =>
  [...resources.values()].filter((r) => r.type === `hcloud:index/${type}`);
const get = (resources: Map<string, Registration>, key: string) => {
  const r = resources.get(key);
  if (!r) throw new Error(`no resource ${key}; have ${[...resources.keys()].join(', ')}`);
  return r;
};
const IP = (name: string) => `hcloud:index/primaryIp:PrimaryIp::${name}`;
const SERVER = (name: string) => `hcloud:index/server:Server::${name}`;
const RDNS = (name: string) => `hcloud:index/rdns:Rdns::${name}`;
const MANAGED = { 'app.kubernetes.io/managed-by': 'pulumi', 'app.kubernetes.io/part-of': 'posbon' };

describe('media nodes on Hetzner', () => {
  let empty: string;
  beforeAll(async () => {
    empty = await fleetDir();
  });

  it("keeps every node's Primary IPv4 and IPv6 apart from its server: no auto-delete, delete-protected twice, reverse DNS to its media hostname", async () => {
    const { resources } = await run(stackConfig([fsn1(3)], empty));
    const ipv4 = get(resources, IP('fsn1-2-ipv4'));
    expect(ipv4.inputs).toEqual({
      name: 'fsn1-2-ipv4',
      type: 'ipv4',
      location: 'fsn1',
      assigneeType: 'server',
      autoDelete: false,
      deleteProtection: true,
      labels: { ...MANAGED, 'posbon.io/media-node': 'fsn1-2', 'posbon.io/pool': 'fsn1' },
    });
    expect({ protect: ipv4.protect, dependsOn: ipv4.dependsOn }).toEqual({ protect: true, dependsOn: [] });
    expect(get(resources, IP('fsn1-2-ipv6')).inputs).toMatchObject({
      type: 'ipv6',
      autoDelete: false,
      deleteProtection: true,
    });
    expect(get(resources, IP('fsn1-2-ipv6')).protect).toBe(true);
    expect(
      ofType(resources, 'primaryIp:PrimaryIp')
        .map((r) => r.name)
        .sort(),
    ).toEqual(['fsn1-1-ipv4', 'fsn1-1-ipv6', 'fsn1-2-ipv4', 'fsn1-2-ipv6', 'fsn1-3-ipv4', 'fsn1-3-ipv6']);
    const rdns4 = get(resources, RDNS('fsn1-2-ipv4-rdns')).inputs;
    const rdns6 = get(resources, RDNS('fsn1-2-ipv6-rdns')).inputs;
    expect({ ipAddress: rdns4.ipAddress, dnsPtr: rdns4.dnsPtr }).toEqual({
      ipAddress: expect.stringMatching(/^198\.51\.100\.\d+$/),
      dnsPtr: `fsn1-2.${ZONE}`,
    });
    expect({ ipAddress: rdns6.ipAddress, dnsPtr: rdns6.dnsPtr }).toEqual({
      ipAddress: expect.stringMatching(/^2001:db8:[0-9a-f]+::1$/),
      dnsPtr: `fsn1-2.${ZONE}`,
    });
    expect([rdns4.primaryIpId, rdns6.primaryIpId]).toEqual([
      hetzner.idOf(IP('fsn1-2-ipv4')),
      hetzner.idOf(IP('fsn1-2-ipv6')),
    ]);
  });

  it('gives each server its two Primary IPs, the cluster network, its spread group and the firewall, and replaces it before reusing the IPs', async () => {
    const { resources } = await run(stackConfig([fsn1(3)], empty));
    const server = get(resources, SERVER('fsn1-2'));
    const { userData, sshKeys, ...inputs } = server.inputs;
    expect(inputs).toEqual({
      name: 'fsn1-2',
      serverType: 'ccx23',
      image: 'ubuntu-24.04',
      location: 'fsn1',
      publicNets: [
        {
          ipv4Enabled: true,
          ipv4: hetzner.idOf(IP('fsn1-2-ipv4')),
          ipv6Enabled: true,
          ipv6: hetzner.idOf(IP('fsn1-2-ipv6')),
        },
      ],
      networks: [{ networkId: 4711 }],
      placementGroupId: hetzner.idOf('hcloud:index/placementGroup:PlacementGroup::fsn1-spread-1'),
      firewallIds: [hetzner.idOf('hcloud:index/firewall:Firewall::media-nodes')],
      labels: { ...MANAGED, 'posbon.io/media-node': 'fsn1-2', 'posbon.io/pool': 'fsn1', 'posbon.io/ordinal': '2' },
      shutdownBeforeDeletion: true,
    });
    expect(sshKeys).toEqual([
      String(hetzner.idOf(ofType(resources, 'sshKey:SshKey').map((k) => `${k.type}::${k.name}`)[0]!)),
    ]);
    expect(userData).toEqual({ secret: expect.stringMatching(/^#cloud-config\n/) });
    expect(server.dependsOn).toEqual(
      expect.arrayContaining([
        'hcloud:index/primaryIp:PrimaryIp::fsn1-2-ipv4',
        'hcloud:index/primaryIp:PrimaryIp::fsn1-2-ipv6',
        'hcloud:index/firewall:Firewall::media-nodes',
        'hcloud:index/placementGroup:PlacementGroup::fsn1-spread-1',
      ]),
    );
    expect({
      replaceOnChanges: server.replaceOnChanges,
      deleteBeforeReplace: server.deleteBeforeReplace,
      ignoreChanges: server.ignoreChanges,
      protect: server.protect,
    }).toEqual({
      replaceOnChanges: ['serverType'],
      deleteBeforeReplace: true,
      ignoreChanges: ['userData', 'sshKeys', 'image'],
      protect: false,
    });
  });

  it("never opens MediaMTX's metrics, the probe or the tunnel status, which listen on the machine's private address", async () => {
    const { resources } = await run(stackConfig([fsn1(2)], empty));
    const opened = ofType(resources, 'firewall:Firewall').flatMap((f) => (f.inputs.rules as Array<{ port: string }>).map((r) => r.port));
    expect(opened.length).toBeGreaterThan(0);
    for (const port of Object.values(PRIVATE_PORTS)) expect(opened).not.toContain(String(port));
  });

  it('opens exactly HLS and WHEP over HTTPS and WebRTC UDP to everyone and SSH to the admin CIDRs, nothing else', async () => {
    const { resources } = await run(stackConfig([fsn1(2)], empty));
    const firewalls = ofType(resources, 'firewall:Firewall');
    expect(firewalls.map((f) => f.inputs)).toEqual([
      {
        name: 'posbon-media-nodes',
        labels: MANAGED,
        rules: [
          { description: 'viewers: HLS over HTTPS', direction: 'in', protocol: 'tcp', port: '8888', sourceIps: ['0.0.0.0/0', '::/0'] },
          { description: 'viewers: WHEP over HTTPS', direction: 'in', protocol: 'tcp', port: '8889', sourceIps: ['0.0.0.0/0', '::/0'] },
          {
            description: 'viewers: WebRTC media (ICE over UDP)',
            direction: 'in',
            protocol: 'udp',
            port: '8189',
            sourceIps: ['0.0.0.0/0', '::/0'],
          },
          {
            description: 'admins: SSH',
            direction: 'in',
            protocol: 'tcp',
            port: '22',
            sourceIps: ['2001:db8:ad::/48', '203.0.113.0/28'],
          },
        ],
      },
    ]);
    const firewallIds = ofType(resources, 'server:Server').map((s) => s.inputs.firewallIds);
    expect(new Set(firewallIds.map((ids) => JSON.stringify(ids))).size).toBe(1);
  });

  it('spreads a pool of 25 over three spread groups of at most 10 servers', async () => {
    const { resources } = await run(stackConfig([fsn1(25)], empty));
    const groups = ofType(resources, 'placementGroup:PlacementGroup');
    expect(groups.map((g) => g.inputs)).toEqual(
      ['fsn1-spread-1', 'fsn1-spread-2', 'fsn1-spread-3'].map((name) => ({
        name: `posbon-${name}`,
        type: 'spread',
        labels: MANAGED,
      })),
    );
    const members = new Map<unknown, string[]>();
    for (const s of ofType(resources, 'server:Server'))
      members.set(s.inputs.placementGroupId, [...(members.get(s.inputs.placementGroupId) ?? []), s.name]);
    expect([...members.values()].map((names) => names.length)).toEqual([10, 10, 5]);
    expect([...members.values()][1]).toEqual(Array.from({ length: 10 }, (_, i) => `fsn1-${i + 11}`));
  });

  it('joins the cluster as a k3s agent with the media-node label and taint; the join token travels only inside secret user data', async () => {
    const pools = [
      fsn1(2, {
        labels: { 'posbon.io/tier': 'standard' },
        taints: [{ key: 'posbon.io/dedicated', value: 'media', effect: 'NoExecute' }],
      }),
    ];
    const { resources, outputs } = await run(stackConfig(pools, empty));
    const userData = get(resources, SERVER('fsn1-1')).inputs.userData as SecretValue;
    const cloudConfig = parse(userData.secret as string);
    const files = Object.fromEntries(
      (cloudConfig.write_files as Array<{ path: string; permissions: string; content: string }>).map((f) => [
        f.path,
        f,
      ]),
    );
    expect(Object.keys(files).sort()).toEqual([
      '/etc/rancher/k3s/config.yaml',
      '/etc/systemd/system/k3s-agent.service',
      '/usr/local/sbin/posbon-join',
    ]);
    expect(files['/etc/rancher/k3s/config.yaml']!.permissions).toBe('0600');
    expect(parse(files['/etc/rancher/k3s/config.yaml']!.content)).toEqual({
      server: 'https://10.0.1.2:6443',
      token: TOKEN,
      'node-name': 'fsn1-1',
      'node-label': ['posbon.io/media-node=fsn1-1', 'posbon.io/pool=fsn1', 'posbon.io/tier=standard'],
      'node-taint': ['posbon.io/media-node=fsn1-1:NoSchedule', 'posbon.io/dedicated=media:NoExecute'],
    });
    const join = files['/usr/local/sbin/posbon-join']!.content;
    expect(join).toContain(
      "curl -fsSL --retry 5 -o /usr/local/bin/k3s.download 'https://github.com/k3s-io/k3s/releases/download/v1.33.5%2Bk3s1/k3s'",
    );
    expect(join).toContain(`echo '${'ab'.repeat(32)}  /usr/local/bin/k3s.download' | sha256sum -c -`);
    expect(join).toContain('ip -4 route get 10.0.1.2');
    expect(cloudConfig.runcmd).toEqual([['/usr/local/sbin/posbon-join']]);

    // Control: the token is really in what the servers receive, so the scan below can see it.
    const withSecrets = JSON.stringify([...resources.values()]);
    expect(withSecrets.split(TOKEN).length - 1).toBe(2);
    const withoutSecrets = JSON.stringify(
      [...resources.values()].map((r) => ({ ...r, inputs: stripSecrets(r.inputs) })),
    );
    expect(withoutSecrets).not.toContain(TOKEN);
    expect(withoutSecrets).not.toContain(TOKEN.slice(0, 20));
    expect(JSON.stringify(outputs)).not.toContain(TOKEN.slice(0, 20));
  });

  it('going from 3 to 4 nodes adds one server and one pair of Primary IPs and changes no existing input', async () => {
    const before = await run(stackConfig([fsn1(3)], empty));
    const after = await run(stackConfig([fsn1(4)], empty));
    const added = [...after.resources.keys()].filter((k) => !before.resources.has(k)).sort();
    expect(added).toEqual(
      [
        IP('fsn1-4-ipv4'),
        IP('fsn1-4-ipv6'),
        RDNS('fsn1-4-ipv4-rdns'),
        RDNS('fsn1-4-ipv6-rdns'),
        SERVER('fsn1-4'),
      ].sort(),
    );
    for (const [key, registration] of before.resources)
      expect({ key, ...after.resources.get(key) }).toEqual({ key, ...registration });
  });

  it('removing node 2 of 5 deletes only its server: every other name, IP and input stays, and node 2 keeps its IPs reserved', async () => {
    const before = await run(stackConfig([fsn1(5)], empty));
    const drained = await fleetDir([mediaNode('fsn1-2', { cordoned: true })]);
    const after = await run(stackConfig([fsn1(4, { retired: [2] })], drained));
    expect([...before.resources.keys()].filter((k) => !after.resources.has(k))).toEqual([SERVER('fsn1-2')]);
    expect([...after.resources.keys()].filter((k) => !before.resources.has(k))).toEqual([]);
    for (const [key, registration] of after.resources) {
      // Only the fleet folder differs between the two stack configurations, and it is no resource input.
      expect({ key, ...registration }).toEqual({ key, ...before.resources.get(key) });
    }
    const nodes = before.outputs.nodes as Array<{ name: string; ipv4: string; ipv6: string }>;
    expect(after.outputs.nodes).toEqual(nodes.filter((n) => n.name !== 'fsn1-2'));
    const two = nodes.find((n) => n.name === 'fsn1-2')!;
    expect(after.outputs.retired).toEqual([{ name: 'fsn1-2', ipv4: two.ipv4, ipv6: two.ipv6 }]);
  });

  it('changing the server type replaces the servers and leaves every Primary IP and reverse DNS record as it was', async () => {
    const before = await run(stackConfig([fsn1(3)], empty));
    const after = await run(stackConfig([fsn1(3, { serverType: 'ccx33' })], empty));
    expect([...after.resources.keys()].sort()).toEqual([...before.resources.keys()].sort());
    for (const [key, registration] of before.resources) {
      const now = after.resources.get(key)!;
      if (registration.type !== 'hcloud:index/server:Server') expect({ key, ...now }).toEqual({ key, ...registration });
      else {
        expect({ ...now, inputs: { ...now.inputs, serverType: 'ccx23' } }).toEqual(registration);
        expect({
          serverType: now.inputs.serverType,
          replaceOnChanges: now.replaceOnChanges,
          deleteBeforeReplace: now.deleteBeforeReplace,
        }).toEqual({
          serverType: 'ccx33',
          replaceOnChanges: ['serverType'],
          deleteBeforeReplace: true,
        });
      }
    }
  });

  it("outputs each node's name, egress IPv4 and IPv6, location, media hostname and capacity", async () => {
    const { outputs } = await run(stackConfig([fsn1(1, { region: 'eu-central' })], empty));
    expect(outputs.nodes).toEqual([
      {
        name: 'fsn1-1',
        pool: 'fsn1',
        ordinal: 1,
        location: 'fsn1',
        region: 'eu-central',
        serverType: 'ccx23',
        mediaHostname: `fsn1-1.${ZONE}`,
        ipv4: expect.stringMatching(/^198\.51\.100\.\d+$/),
        ipv6: expect.stringMatching(/^2001:db8:[0-9a-f]+::1$/),
        ipv6Network: expect.stringMatching(/^2001:db8:[0-9a-f]+::\/64$/),
        capacityWeight: 100,
        maxCameras: 5000,
      },
    ]);
  });
});

describe('removing a node is two-step and reviewed', () => {
  const serving = [school('school-17', { region: 'fsn1' }), nvr('school-17-gate', 'school-17', 2)];

  it('refuses to retire a node whose MediaNode is not cordoned, before declaring any resource', async () => {
    const fleet = await fleetDir([mediaNode('fsn1-1'), mediaNode('fsn1-2'), ...serving]);
    await expect(run(stackConfig([fsn1(1, { retired: [2] })], fleet))).rejects.toThrow(
      new pulumi.RunError(
        'refusing to remove media nodes: fsn1-2: its MediaNode is not cordoned; cordon it in the fleet and let it drain before retiring it',
      ),
    );
  });

  it('refuses while a cordoned MediaNode is still pinned by a school', async () => {
    const pinned = school('school-17', { region: 'fsn1', mediaNodeRef: 'fsn1-2' });
    const fleet = await fleetDir([mediaNode('fsn1-1'), mediaNode('fsn1-2', { cordoned: true }), pinned, serving[1]!]);
    const error = await run(stackConfig([fsn1(1, { retired: [2] })], fleet)).catch((e: Error) => e);
    expect((error as Error).message).toBe(
      'refusing to remove media nodes: fsn1-2: its MediaNode still serves schools school-17; move them before retiring it',
    );
  });

  it('refuses a pool shrunk by lowering count, which would drop its last node without a retirement', async () => {
    const fleet = await fleetDir([mediaNode('fsn1-1'), mediaNode('fsn1-2', { cordoned: true })]);
    const error = await run(stackConfig([fsn1(1)], fleet)).catch((e: Error) => e);
    expect((error as Error).message).toBe(
      'refusing to remove media nodes: fsn1-2: its MediaNode is in the fleet but pool fsn1 no longer runs it; retire ordinal 2 in pools[0].retired instead of lowering count',
    );
  });

  it('refuses a pool dropped from the config while its MediaNodes are in the fleet', async () => {
    const nbg1 = mediaNode('nbg1-1', { cordoned: true });
    nbg1.metadata.labels = stackMediaNodeLabels('nbg1');
    const error = await run(stackConfig([fsn1(1)], await fleetDir([mediaNode('fsn1-1'), nbg1]))).catch((e: Error) => e);
    expect((error as Error).message).toBe(
      'refusing to remove media nodes: nbg1-1: its MediaNode names pool nbg1, which the stack no longer declares; keep the pool and retire its nodes',
    );
  });

  it('lets a drained node go: cordoned, unpinned, serving no school', async () => {
    const fleet = await fleetDir([mediaNode('fsn1-1'), mediaNode('fsn1-2', { cordoned: true }), ...serving]);
    const { outputs } = await run(stackConfig([fsn1(1, { retired: [2] })], fleet));
    expect((outputs.nodes as Array<{ name: string }>).map((n) => n.name)).toEqual(['fsn1-1']);
  });
});

describe('stack configuration', () => {
  it.each([
    [
      'a location that is no Hetzner location',
      { pools: [{ ...fsn1(1), location: 'Frankfurt' }] },
      'posbon-media:pools[0].location: must be a Hetzner location such as fsn1, nbg1 or hel1',
    ],
    [
      'a missing server type',
      { pools: [{ name: 'fsn1', location: 'fsn1', count: 1 }] },
      'posbon-media:pools[0].serverType: is required',
    ],
    [
      'a public k3s server address',
      {
        cluster: {
          server: 'https://203.0.113.5:6443',
          networkId: 1,
          k3sVersion: 'v1.33.5+k3s1',
          k3sSha256: 'ab'.repeat(32),
        },
      },
      'posbon-media:cluster.server: must be https://<private IPv4 of a k3s server>:<port>',
    ],
    [
      'an admin CIDR that is no CIDR',
      { admin: { sshKeys: [ADMIN_KEY], cidrs: ['0.0.0.0'] } },
      'posbon-media:admin.cidrs[0]: must be a CIDR such as 203.0.113.0/24 or 2001:db8::/48',
    ],
    [
      'a retired ordinal listed twice',
      { pools: [fsn1(2, { retired: [1, 1] })] },
      'posbon-media:pools[0].retired[1]: ordinal 1 is listed twice',
    ],
    [
      'a retired ordinal the pool never ran',
      { pools: [fsn1(2, { retired: [9] })] },
      'posbon-media:pools[0].retired[0]: ordinal 9 was never a node of the pool',
    ],
  ])('fails on %s with one line naming the field', async (_, overrides, message) => {
    const error = await run(stackConfig([fsn1(1)], '/nonexistent', overrides)).catch((e: Error) => e);
    expect(error).toBeInstanceOf(pulumi.RunError);
    expect((error as Error).message).toBe(message);
  });

  it('fails without the join token, naming it', async () => {
    const { joinToken, ...config } = stackConfig([fsn1(1)], '/nonexistent');
    void joinToken;
    const error = await run(config).catch((e: Error) => e);
    expect((error as Error).message).toBe('posbon-media:joinToken: is required (pulumi config set --secret joinToken)');
  });
});

function stripSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripSecrets);
  if (value === null || typeof value !== 'object') return value;
  if ('secret' in value && Object.keys(value).length === 1) return '[secret]';
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripSecrets(v)]));
}

describe('the program entry point', () => {
  it('index.ts, loaded as Pulumi loads it after the mocks are set, exports the nodes and the retired addresses', async () => {
    const fleet = await fleetDir();
    let exported: Record<string, unknown> = {};
    const resources = await hetzner.run(
      stackConfig([fsn1(1)], fleet),
      () => import('./index.js'),
      async (program) => {
        exported = { nodes: await valueOf(program.nodes), retired: await valueOf(program.retired) };
      },
    );
    expect((exported.nodes as Array<{ name: string }>).map((n) => n.name)).toEqual(['fsn1-1']);
    expect(exported.retired).toEqual([]);
    expect(ofType(resources, 'server:Server').map((r) => r.name)).toEqual(['fsn1-1']);
  });
});

describe('the example dev stack', () => {
  it('Pulumi.dev.yaml is a valid stack configuration', async () => {
    const { config } = parse(await readFile(join(process.cwd(), 'pulumi/Pulumi.dev.yaml'), 'utf8')) as {
      config: Record<string, unknown>;
    };
    const values = Object.fromEntries(Object.entries(config).map(([k, v]) => [k.replace(/^posbon-media:/, ''), v]));
    expect(parseStackConfig(values).pools.map((p) => p.name)).toEqual(['fsn1']);
  });
});
