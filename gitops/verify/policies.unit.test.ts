import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parse, stringify } from 'yaml';
import { parseFleetTree } from '../fleet-repo/tree.js';
import { FLEET_POLICIES } from './policies/index.js';
import { publicHostProblem } from './policies/public-host.js';
import { runPolicies, type Violation } from './policy.js';

const EXAMPLE = join(process.cwd(), 'gitops/example');

function exampleFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else files.set(relative(EXAMPLE, full).split(sep).join('/'), readFileSync(full, 'utf8'));
    }
  };
  walk(EXAMPLE);
  return files;
}

type Change = (files: Map<string, string>) => void;

const edit =
  (path: string, change: (o: Record<string, any>) => void): Change =>
  (files) => {
    const o = parse(files.get(path)!);
    change(o);
    files.set(path, stringify(o));
  };
const add = (path: string, text: string): Change => (files) => void files.set(path, text);
const remove = (path: string): Change => (files) => void files.delete(path);
const both = (...changes: Change[]): Change => (files) => changes.forEach((c) => c(files));

/** School 17 with `nvrs` more NVRs of `cameras` cameras each, on nodes allowed far more cameras than the default. */
const bigSchool = (nvrs: number, cameras: number): Change =>
  both(
    edit(NODE_A, (o) => (o.spec.maxCameras = 100000)),
    edit(NODE_B, (o) => (o.spec.maxCameras = 100000)),
    ...Array.from({ length: nvrs }, (_, i) =>
      add(
        `clusters/dev/schools/school-17/nvrs/wing-${i}.yaml`,
        stringify({
          apiVersion: 'posbon.io/v1alpha1',
          kind: 'Nvr',
          metadata: { name: `school-17-wing-${i}` },
          spec: {
            schoolRef: 'school-17',
            vendor: 'hikvision',
            publicHost: `wing${i}.nvr17.schools.example.org`,
            credentialsSecretRef: { name: `nvr-school-17-wing-${i}-00000000` },
            cameras: Array.from({ length: cameras }, (_, c) => ({ id: `cam-${c + 1}`, name: `Camera ${c + 1}`, channel: c + 1 })),
          },
        }),
      ),
    ),
  );

const NVR = 'clusters/dev/schools/school-17/nvrs/entrance.yaml';
const SCHOOL = 'clusters/dev/schools/school-17/school.yaml';
const NODE_A = 'clusters/dev/media-nodes/fsn1-a.yaml';
const NODE_B = 'clusters/dev/media-nodes/fsn1-b.yaml';
const FACEID = 'clusters/dev/schools/school-17/faceid/main-door.yaml';
/** A school whose id has school-17's as a prefix. */
const annex: Change = (files) => files.set('clusters/dev/schools/school-17-annex/school.yaml', files.get(SCHOOL)!.replace('name: school-17', 'name: school-17-annex'));

function verifyChange(change: Change, baseChange?: Change): Violation[] {
  const base = exampleFiles();
  baseChange?.(base);
  const head = new Map(base);
  change(head);
  return runPolicies(FLEET_POLICIES, { base: parseFleetTree(base), head: parseFleetTree(head) });
}

describe('fleet policies', () => {
  it('pass on the example fleet', () => {
    expect(verifyChange(() => undefined)).toEqual([]);
  });

  const bad: [string, Change, string, RegExp, Change?][] = [
    ['a password in an Nvr spec', edit(NVR, (o) => (o.spec.password = 'hunter2')), 'no-credential-in-git', /spec\.password holds a credential/],
    ['an RTSP URL with user and password', edit(NVR, (o) => (o.spec.sourceUrl = 'rtsp://admin:12345@nvr17.schools.example.org:554/ch1')), 'no-credential-in-git', /spec\.sourceUrl holds a URL with a password/],
    ['a nested api token', edit(NVR, (o) => (o.spec.isapi = { user: 'admin', apiToken: 'abc' })), 'no-credential-in-git', /spec\.isapi\.apiToken/],
    ['a Secret committed with data', add('clusters/dev/schools/school-17/nvr-secret.yaml', 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: nvr\nstringData:\n  password: x\n'), 'no-credential-in-git', /a Secret with data is committed/],
    ['a private key in a MediaNode', edit(NODE_A, (o) => (o.spec.sshPrivateKey = '-----BEGIN OPENSSH PRIVATE KEY-----')), 'no-credential-in-git', /sshPrivateKey holds a credential/],
    ['two Nvrs with one name', add('clusters/dev/schools/school-17/nvrs/entrance-copy.yaml', readFileSync(join(EXAMPLE, NVR), 'utf8')), 'unique-names', /Nvr\/school-17-entrance is already defined in clusters\/dev\/schools\/school-17\/nvrs\/entrance-copy.yaml/],
    ['two MediaNodes with one name', edit(NODE_B, (o) => (o.metadata.name = 'fsn1-a')), 'unique-names', /MediaNode\/fsn1-a is already defined/],
    ['an Nvr filed under another school', add('clusters/dev/schools/school-42/nvrs/entrance.yaml', readFileSync(join(EXAMPLE, NVR), 'utf8').replace('school-17-entrance', 'school-42-entrance')), 'fleet-layout', /spec\.schoolRef is school-17 but the file sits in the folder of school school-42/],
    ['a School whose name is not its folder', edit(SCHOOL, (o) => (o.metadata.name = 'school-71')), 'fleet-layout', /School school-71 sits in the folder of school school-17/],
    ['an Nvr in the media-nodes folder', add('clusters/dev/media-nodes/stray.yaml', readFileSync(join(EXAMPLE, NVR), 'utf8').replace('school-17-entrance', 'stray')), 'fleet-layout', /this folder holds MediaNode resources, not Nvr/],
    ['a MediaNode outside the layout', add('nodes/fsn1-c.yaml', readFileSync(join(EXAMPLE, NODE_A), 'utf8').replace('fsn1-a', 'fsn1-c')), 'fleet-layout', /must live under clusters\/<env>/],
    ['an Nvr of a school that does not exist', both(remove(SCHOOL), remove('clusters/dev/schools/school-17/faceid/main-door.yaml')), 'references-resolve', /spec\.schoolRef school-17 names no School/],
    ['a school pinned to a missing node', edit('clusters/dev/schools/school-42/school.yaml', (o) => (o.spec.mediaNodeRef = 'hel1-z')), 'references-resolve', /spec\.mediaNodeRef hel1-z names no MediaNode/],
    ['an Nvr on a private address', edit(NVR, (o) => (o.spec.publicHost = '192.168.1.64')), 'public-host-is-public', /192\.168\.1\.64 is a private/],
    ['an Nvr on the metadata address', edit(NVR, (o) => (o.spec.publicHost = '169.254.169.254')), 'public-host-is-public', /169\.254\.169\.254 is a private, loopback, link-local/],
    ['an Nvr on a local name', edit(NVR, (o) => (o.spec.publicHost = 'nvr.lan')), 'public-host-is-public', /nvr\.lan is a local name/],
    ['an Nvr without a public host', edit(NVR, (o) => delete o.spec.publicHost), 'public-host-is-public', /spec\.publicHost is missing/],
    ['a media node removed without draining', remove(NODE_A), 'media-node-removed-only-when-drained', /MediaNode fsn1-a is removed without being drained first/],
    ['a drained node removed while a school pins it', remove(NODE_B), 'media-node-removed-only-when-drained', /schools school-42 still pin it/, edit(NODE_B, (o) => (o.spec.cordoned = true))],
    ['a file that is not YAML', add('clusters/dev/media-nodes/broken.yaml', 'kind: MediaNode\nmetadata: [unclosed\n'), 'yaml-parses', /./],
    ['a document without a name', add('clusters/dev/media-nodes/anon.yaml', 'apiVersion: posbon.io/v1alpha1\nkind: MediaNode\nspec: {}\n'), 'yaml-parses', /lacks apiVersion, kind or metadata\.name/],
    ['an Nvr of an unknown vendor', edit(NVR, (o) => (o.spec.vendor = 'acme')), 'schema', /^spec\.vendor: /],
    ['a School with a malformed time zone', edit(SCHOOL, (o) => (o.spec.timezone = 'tashkent')), 'schema', /^spec\.timezone: /],
    ['a MediaNode egressing from a private address', edit(NODE_A, (o) => (o.spec.egressIPs = ['10.0.0.7'])), 'schema', /^spec\.egressIPs\[0\]: must be a public IPv4 address/],
    ['a camera path holding credentials', edit(NVR, (o) => (o.spec.cameras[0].rtspPath = '/admin:x@Streaming/101')), 'schema', /^spec\.cameras\[0\]\.rtspPath: must start with \/ and hold no credentials/],
    ['a MediaNode without its WebRTC URL', edit(NODE_B, (o) => delete o.spec.webrtcBaseUrl), 'schema', /^spec\.webrtcBaseUrl: /],
    ['a field the schema does not know', edit(SCHOOL, (o) => (o.spec.allowlist = ['198.51.100.10'])), 'schema', /^spec\.allowlist: unknown field "allowlist"/],
    ['an object of another API version', edit(SCHOOL, (o) => (o.apiVersion = 'posbon.io/v1')), 'schema', /^apiVersion: /],
    ['a Posbon kind that does not exist', add('clusters/dev/media-nodes/relay.yaml', 'apiVersion: posbon.io/v1alpha1\nkind: MediaRelay\nmetadata:\n  name: relay\nspec: {}\n'), 'schema', /^kind: must be one of School, Nvr, MediaNode, FaceIdDevice/],
    ['two cameras on one MediaMTX path', add('clusters/dev/schools/school-17/nvrs/entrance-copy.yaml', readFileSync(join(EXAMPLE, NVR), 'utf8')), 'unique-mediamtx-paths', /MediaMTX path school-17\/school-17-entrance\/gate is already published by clusters\/dev\/schools\/school-17\/nvrs\/entrance-copy\.yaml/],
    ['a node given more cameras than its maxCameras', both(edit(NODE_A, (o) => (o.spec.maxCameras = 1)), edit(SCHOOL, (o) => (o.spec.mediaNodeRef = 'fsn1-a'))), 'shards-within-size', /^2 cameras would be assigned, over spec\.maxCameras 1$/],
    ['a shard too large for a ConfigMap', bigSchool(16, 256), 'shards-within-size', /^the sealed config of 4099 cameras would be about \d{7} bytes, over the 1000000-byte limit of a ConfigMap/],
    ["an Nvr using another school's credentials", edit(NVR, (o) => (o.spec.credentialsSecretRef.name = 'nvr-school-42-yard-0c4d7e99')), 'nvr-credentials-of-own-school', /^spec\.credentialsSecretRef nvr-school-42-yard-0c4d7e99 is not a credentials Secret of school-17-entrance in school school-17: its name must be nvr-school-17-entrance-<hash>$/],
    ["an Nvr using another NVR's Secret under its own name", edit(NVR, (o) => (o.spec.credentialsSecretRef.name = 'nvr-school-17-entrance-hall-5f2c9a1b')), 'nvr-credentials-of-own-school', /nvr-school-17-entrance-hall-5f2c9a1b is not a credentials Secret of school-17-entrance/],
    ['an Nvr using a Secret named outside the convention', edit(NVR, (o) => (o.spec.credentialsSecretRef.name = 'gate-credentials')), 'nvr-credentials-of-own-school', /gate-credentials is not a credentials Secret/],
    ['two FaceID terminals with one serial number', add('clusters/dev/schools/school-42/faceid/door.yaml', readFileSync(join(EXAMPLE, FACEID), 'utf8').replaceAll('school-17', 'school-42').replace('DS-K1T341AM-20240117', 'ds-k1t341am-20240117')), 'unique-faceid-serials', /^spec\.serialNumber ds-k1t341am-20240117 is already the serial of FaceIdDevice\/school-17-main-door in clusters\/dev\/schools\/school-17\/faceid\/main-door\.yaml$/],
    ["an Nvr named as another school's", edit(NVR, (o) => (o.metadata.name = 'school-42-entrance')), 'names-within-own-school', /^school-42-entrance reads as a name of school school-42; school school-17 cannot use names under school-42-$/],
    ["a school taking the names of a school whose id it prefixes", both(annex, add('clusters/dev/schools/school-17/nvrs/annex-yard.yaml', readFileSync(join(EXAMPLE, NVR), 'utf8').replaceAll('school-17-entrance', 'school-17-annex-yard'))), 'names-within-own-school', /^school-17-annex-yard reads as a name of school school-17-annex; school school-17 cannot use names under school-17-annex-$/],
    ["a new school whose id makes an existing name another school's", add('clusters/dev/schools/school-17-annex/school.yaml', readFileSync(join(EXAMPLE, SCHOOL), 'utf8').replace('name: school-17', 'name: school-17-annex')), 'names-within-own-school', /^school-17-annex-yard reads as a name of school school-17-annex/, add('clusters/dev/schools/school-17/nvrs/annex-yard.yaml', readFileSync(join(EXAMPLE, NVR), 'utf8').replaceAll('school-17-entrance', 'school-17-annex-yard'))],
    ['every node cordoned', both(edit(NODE_A, (o) => (o.spec.cordoned = true)), edit(NODE_B, (o) => (o.spec.cordoned = true))), 'shards-within-size', /^no media node can serve school school-17/],
  ];

  // Rows padded to full length: Jest would take a missing last argument for a `done` callback.
  it.each(bad.map(([n, c, p, r, b]) => [n, c, p, r, b ?? null] as const))('fail on %s', (_name, change, policy, reason, baseChange) => {
    const violations = verifyChange(change, baseChange ?? undefined);
    expect(violations.filter((v) => v.policy === policy).map((v) => v.reason)).toContainEqual(expect.stringMatching(reason));
  });

  it("passes a school whose id prefixes another's when each keeps to its own names", () => {
    const annexNvr = add('clusters/dev/schools/school-17-annex/nvrs/yard.yaml', readFileSync(join(EXAMPLE, NVR), 'utf8').replaceAll('school-17-entrance', 'school-17-annex-yard').replace('schoolRef: school-17', 'schoolRef: school-17-annex'));
    expect(verifyChange(both(annex, annexNvr))).toEqual([]);
  });

  it('passes a large shard that still fits a ConfigMap', () => {
    expect(verifyChange(bigSchool(8, 256))).toEqual([]);
  });

  it('removes a node that was drained and is pinned by nobody', () => {
    expect(verifyChange(remove(NODE_A), edit(NODE_A, (o) => (o.spec.cordoned = true)))).toEqual([]);
  });

  it('accepts a reference to a credential and a URL without a password', () => {
    const violations = verifyChange(edit(NVR, (o) => (o.spec.snapshotUrl = 'http://nvr17.schools.example.org/snap.jpg')));
    expect(violations.filter((v) => v.policy === 'no-credential-in-git')).toEqual([]);
  });

  it('reports the whole violation with path and resource', () => {
    expect(verifyChange(edit(NVR, (o) => (o.spec.password = 'hunter2')))).toEqual([
      { policy: 'schema', path: NVR, resource: 'Nvr/school-17-entrance', reason: 'spec.password: unknown field "password"' },
      { policy: 'no-credential-in-git', path: NVR, resource: 'Nvr/school-17-entrance', reason: 'spec.password holds a credential in plaintext' },
    ]);
  });
});

describe('publicHostProblem', () => {
  it.each([
    ['10.1.2.3', true], ['172.20.0.1', true], ['100.64.1.1', true], ['127.0.0.1', true], ['::1', true], ['fe80::1', true],
    ['fd00::5', true], ['::ffff:10.0.0.1', true], ['localhost', true], ['nvr', true],
    ['8.8.8.8', false], ['2a01:4f8::1', false], ['nvr17.schools.example.org', false],
  ])('%s → blocked %s', (host, blocked) => {
    expect(publicHostProblem(host) !== null).toBe(blocked);
  });
});
