import type { Nvr, School } from '../../crds/index.js';
import { mediaNode, nvr, school } from '../../test/fixtures/fleet.js';
import { hash53 } from './assign.js';
import { renderMediaMtxConfig } from './mediamtx.js';
import { planFleet, schoolPlacement } from './plan.js';
import { allocateTunnelAddresses, idleNodeTunnel, renderTunnelRoutes, renderWireGuardPeers, type PreviousAddress } from './tunnel.js';

const KEY_A = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const KEY_B = 'mN2dYh4dGn0P4iNgDq2jWd5k5e9C0Ls8yQv7bJ3aZ1E=';
const creds = { username: 'viewer', password: 'pw' };

const tunnelSchool = (name: string, publicKey: string, expose: string[], extra: Partial<School['spec']> = {}) =>
  school(name, { networkMode: 'tunnel', tunnel: { publicKey, expose, persistentKeepalive: 25 }, mediaNodeRef: 'node-a', ...extra });
const tunnelNvr = (name: string, schoolRef: string, host: string, cameras = 1) =>
  nvr(name, schoolRef, cameras, { connectivity: 'tunnel', tunnel: { host, rtspPort: 554 } }, 'posbon-fleet');
const withoutPublicHost = (n: Nvr): Nvr => {
  delete n.spec.publicHost;
  return n;
};

const node = mediaNode('node-a', { egressIPs: ['198.51.100.7'], tunnel: { addressRange: '10.255.0.0/24', listenPort: 51820 } });

describe('planFleet with tunnel schools', () => {
  const fleet = {
    nodes: [node],
    schools: [tunnelSchool('s-north', KEY_A, ['192.168.1.0/24']), tunnelSchool('s-south', KEY_B, ['192.168.1.64', '10.8.0.0/16']), school('s-public', { mediaNodeRef: 'node-a' })],
    nvrs: [
      withoutPublicHost(tunnelNvr('north-main', 's-north', '192.168.1.10', 2)),
      withoutPublicHost(tunnelNvr('south-main', 's-south', '10.8.3.4')),
      nvr('public-main', 's-public', 1, { publicHost: '203.0.113.9' }),
    ],
  };
  const shard = planFleet(fleet).shards.get('node-a')!;

  it('renders one peer per school whose allowed IPs are its gateway address and its NVRs, and routes only those', () => {
    const a = allocateTunnelAddresses(node, ['s-north', 's-south'], new Map()).addresses;
    expect(shard.tunnel).toEqual({
      address: '10.255.0.1/24',
      listenPort: 51820,
      endpoint: '198.51.100.7:51820',
      peers: [
        { school: 's-north', publicKey: KEY_A, address: a.get('s-north'), allowedIPs: [`${a.get('s-north')}/32`, '192.168.1.10/32'], persistentKeepalive: 25 },
        { school: 's-south', publicKey: KEY_B, address: a.get('s-south'), allowedIPs: [`${a.get('s-south')}/32`, '10.8.3.4/32'], persistentKeepalive: 25 },
      ],
      routes: ['10.8.3.4/32', '192.168.1.10/32'],
      problems: [],
    });
    expect(renderWireGuardPeers(shard.tunnel!)).toBe(
      [
        '[Interface]',
        'ListenPort = 51820',
        '',
        '# School s-north',
        '[Peer]',
        `PublicKey = ${KEY_A}`,
        `AllowedIPs = ${a.get('s-north')}/32, 192.168.1.10/32`,
        '',
        '# School s-south',
        '[Peer]',
        `PublicKey = ${KEY_B}`,
        `AllowedIPs = ${a.get('s-south')}/32, 10.8.3.4/32`,
        '',
      ].join('\n'),
    );
    expect(renderTunnelRoutes(shard.tunnel!)).toBe('10.8.3.4/32\n192.168.1.10/32\n');
  });

  it('holds no private key in what it renders', () => {
    expect(renderWireGuardPeers(shard.tunnel!)).not.toMatch(/PrivateKey|PresharedKey/);
  });

  it('pulls tunnel NVRs at their LAN address, on demand, beside public ones', () => {
    const { config } = renderMediaMtxConfig(node, shard.members, () => creds);
    expect(config.paths).toEqual({
      's-north/north-main/cam1': { source: 'rtsp://viewer:pw@192.168.1.10:554/Streaming/Channels/101', sourceOnDemand: true },
      's-north/north-main/cam2': { source: 'rtsp://viewer:pw@192.168.1.10:554/Streaming/Channels/201', sourceOnDemand: true },
      's-public/public-main/cam1': { source: 'rtsp://viewer:pw@203.0.113.9:554/Streaming/Channels/101', sourceOnDemand: true },
      's-south/south-main/cam1': { source: 'rtsp://viewer:pw@10.8.3.4:554/Streaming/Channels/101', sourceOnDemand: true },
    });
  });

  it('places each tunnel school with its address and the node endpoint, and a public one without', () => {
    const plan = planFleet(fleet);
    const address = plan.shards.get('node-a')!.tunnel!.peers[0]!.address;
    expect(schoolPlacement(fleet.schools[0]!, plan).tunnel).toEqual({ mediaNode: 'node-a', address, endpoint: '198.51.100.7:51820' });
    expect(schoolPlacement(fleet.schools[2]!, plan).tunnel).toBeUndefined();
  });

  it('moves a school\'s peer with the school: the old node drops it, the new node allocates it', () => {
    const other = mediaNode('node-b', { egressIPs: ['198.51.100.8'] });
    const moved = { ...fleet, nodes: [node, other], schools: fleet.schools.map((s) => (s.metadata.name === 's-north' ? { ...s, spec: { ...s.spec, mediaNodeRef: 'node-b' } } : s)) };
    const plan = planFleet(moved);
    expect(plan.shards.get('node-a')!.tunnel!.peers.map((p) => p.school)).toEqual(['s-south']);
    expect(plan.shards.get('node-b')!.tunnel!.peers.map((p) => [p.school, p.allowedIPs[1]])).toEqual([['s-north', '192.168.1.10/32']]);
    expect(plan.shards.get('node-b')!.tunnel!.endpoint).toBe('198.51.100.8:51820');
  });
});

describe('planNodeTunnel refuses what would cross schools', () => {
  it('routes a LAN address two schools expose to the first school only, and never pulls the second school\'s NVR', () => {
    const fleet = {
      nodes: [node],
      schools: [tunnelSchool('s-a', KEY_A, ['192.168.1.0/24']), tunnelSchool('s-b', KEY_B, ['192.168.1.0/24'])],
      nvrs: [withoutPublicHost(tunnelNvr('a-nvr', 's-a', '192.168.1.64')), withoutPublicHost(tunnelNvr('b-nvr', 's-b', '192.168.1.64'))],
    };
    const shard = planFleet(fleet).shards.get('node-a')!;
    expect(shard.tunnel!.problems).toEqual([
      { resource: 'Nvr/posbon-fleet/b-nvr', reason: 'LanAddressConflict', message: '192.168.1.64 is already routed to School s-a on this node' },
    ]);
    expect(shard.tunnel!.peers.map((p) => [p.school, p.allowedIPs.slice(1)])).toEqual([['s-a', ['192.168.1.64/32']], ['s-b', []]]);
    expect(Object.keys(renderMediaMtxConfig(node, shard.members, () => creds).config.paths)).toEqual(['s-a/a-nvr/cam1']);
  });

  it.each([
    ['outside the exposure', tunnelSchool('s-a', KEY_A, ['192.168.1.0/28']), '192.168.1.99', 'NotExposed', "192.168.1.99 is outside School s-a's spec.tunnel.expose"],
    ['of a school in public mode', school('s-a', { mediaNodeRef: 'node-a' }), '192.168.1.9', 'NotExposed', 'School s-a has no tunnel on this node'],
    ['inside the node\'s tunnel range', tunnelSchool('s-a', KEY_A, ['10.255.0.0/16']), '10.255.0.9', 'InsideTunnelRange', "10.255.0.9 is inside the node's tunnel range 10.255.0.0/24"],
  ])('leaves out an NVR %s', (_, s, host, reason, message) => {
    const shard = planFleet({ nodes: [node], schools: [s], nvrs: [withoutPublicHost(tunnelNvr('a-nvr', 's-a', host))] }).shards.get('node-a')!;
    expect(shard.tunnel!.problems).toEqual([{ resource: 'Nvr/posbon-fleet/a-nvr', reason, message }]);
    expect(shard.members).toEqual([]);
  });

  it('gives a gateway key shared by two schools to the first only', () => {
    const shard = planFleet({ nodes: [node], schools: [tunnelSchool('s-a', KEY_A, ['192.168.1.0/24']), tunnelSchool('s-b', KEY_A, ['192.168.2.0/24'])], nvrs: [] }).shards.get('node-a')!;
    expect(shard.tunnel!.peers.map((p) => p.school)).toEqual(['s-a']);
    expect(shard.tunnel!.problems).toEqual([{ resource: 'School/s-b', reason: 'DuplicateGatewayKey', message: 'School s-a on the same node has the same gateway key' }]);
  });

  it('leaves the config of a node without tunnel schools as it was', () => {
    const shard = planFleet({ nodes: [node], schools: [school('s-a', { mediaNodeRef: 'node-a' })], nvrs: [nvr('p', 's-a', 1)] }).shards.get('node-a')!;
    expect(shard.tunnel).toBeUndefined();
  });
});

describe('allocateTunnelAddresses', () => {
  const small = mediaNode('node-a', { tunnel: { addressRange: '10.255.0.0/28', listenPort: 51820 } });
  const slot = (name: string) => hash53(`tunnel\u0000${name}`) % 13;
  const names = Array.from({ length: 200 }, (_, i) => `school-${i}`);
  // Two schools that hash to one slot, the later-sorted one first in the fleet.
  const [early, late] = (() => {
    for (const a of names) for (const b of names) if (a < b && slot(a) === slot(b)) return [a, b] as const;
    throw new Error('no collision among 200 names in 13 slots');
  })();

  it('is the same whatever the order of the schools', () => {
    const some = names.slice(0, 10);
    expect(allocateTunnelAddresses(small, [...some].reverse(), new Map()).addresses).toEqual(allocateTunnelAddresses(small, some, new Map()).addresses);
  });

  it('takes addresses from .2 to the last before broadcast, never the node\'s own', () => {
    const { addresses, full } = allocateTunnelAddresses(small, names.slice(0, 14), new Map());
    expect(new Set(addresses.values())).toEqual(new Set(Array.from({ length: 13 }, (_, i) => `10.255.0.${i + 2}`)));
    expect(full).toHaveLength(1);
  });

  it('keeps a school\'s recorded address when a school that hashes to the same slot arrives', () => {
    const first = allocateTunnelAddresses(small, [late], new Map()).addresses;
    const recorded = new Map<string, PreviousAddress>([[late, { mediaNode: 'node-a', address: first.get(late)! }]]);
    const after = allocateTunnelAddresses(small, [early, late], recorded).addresses;
    expect(after.get(late)).toBe(first.get(late));
    expect(after.get(early)).not.toBe(first.get(late));
  });

  it('allocates afresh on the new node after a move, ignoring the old node\'s address', () => {
    const recorded = new Map<string, PreviousAddress>([[early, { mediaNode: 'node-z', address: '10.255.0.14' }]]);
    expect(allocateTunnelAddresses(small, [early], recorded).addresses).toEqual(allocateTunnelAddresses(small, [early], new Map()).addresses);
  });

  it('survives a restart: status fed back gives the same addresses', () => {
    const some = names.slice(20, 32);
    const first = allocateTunnelAddresses(small, some, new Map()).addresses;
    const recorded = new Map([...first].map(([s, address]) => [s, { mediaNode: 'node-a', address }]));
    expect(allocateTunnelAddresses(small, some, recorded).addresses).toEqual(first);
  });
});

describe('idleNodeTunnel', () => {
  it('gives a node without tunnel schools its address and port, and no peer', () => {
    const tunnel = idleNodeTunnel(node);
    expect(tunnel).toEqual({ address: '10.255.0.1/24', listenPort: 51820, endpoint: '198.51.100.7:51820', peers: [], routes: [], problems: [] });
    expect(renderWireGuardPeers(tunnel)).toBe('[Interface]\nListenPort = 51820\n');
  });
});
