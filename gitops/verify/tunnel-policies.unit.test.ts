import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { stringify } from 'yaml';
import { parseFleetTree } from '../fleet-repo/tree.js';
import { FLEET_POLICIES } from './policies/index.js';
import { runPolicies, type Violation } from './policy.js';

const EXAMPLE = join(process.cwd(), 'gitops/example');
const KEY_9 = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const KEY_12 = 'mN2dYh4dGn0P4iNgDq2jWd5k5e9C0Ls8yQv7bJ3aZ1E=';

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

const tunnelSchool = (name: string, key: string, expose: string[], networkMode = 'tunnel') =>
  stringify({
    apiVersion: 'posbon.io/v1alpha1',
    kind: 'School',
    metadata: { name },
    spec: { displayName: name, region: 'fsn1', timezone: 'Asia/Tashkent', networkMode, ...(networkMode === 'tunnel' ? { tunnel: { publicKey: key, expose } } : {}) },
  });

const tunnelNvr = (school: string, name: string, host: string) =>
  stringify({
    apiVersion: 'posbon.io/v1alpha1',
    kind: 'Nvr',
    metadata: { name: `${school}-${name}` },
    spec: {
      schoolRef: school,
      vendor: 'hikvision',
      connectivity: 'tunnel',
      tunnel: { host },
      credentialsSecretRef: { name: `nvr-${school}-${name}-5e1f0a3c` },
      cameras: [{ id: 'gate', name: 'Gate', channel: 1 }],
    },
  });

function verify(extra: Record<string, string>): Violation[] {
  const files = exampleFiles();
  for (const [path, text] of Object.entries(extra)) files.set(`clusters/dev/schools/${path}`, text);
  const tree = parseFleetTree(files);
  return runPolicies(FLEET_POLICIES, { base: tree, head: tree });
}

describe('tunnel policies', () => {
  it('pass a tunnel school whose NVR sits inside its exposure', () => {
    expect(verify({ 'school-9/school.yaml': tunnelSchool('school-9', KEY_9, ['192.168.10.0/28', '10.20.0.7']), 'school-9/nvrs/main.yaml': tunnelNvr('school-9', 'main', '192.168.10.5'), 'school-9/nvrs/annex.yaml': tunnelNvr('school-9', 'annex', '10.20.0.7') })).toEqual([]);
  });

  it.each([
    ['an NVR outside the CIDR', '192.168.10.16', "spec.tunnel.host 192.168.10.16 is outside School school-9's spec.tunnel.expose (192.168.10.0/28, 10.20.0.7)"],
    ['an NVR beside the exposed address', '10.20.0.8', "spec.tunnel.host 10.20.0.8 is outside School school-9's spec.tunnel.expose (192.168.10.0/28, 10.20.0.7)"],
  ])('refuse %s', (_, host, reason) => {
    const violations = verify({ 'school-9/school.yaml': tunnelSchool('school-9', KEY_9, ['192.168.10.0/28', '10.20.0.7']), 'school-9/nvrs/main.yaml': tunnelNvr('school-9', 'main', host) });
    expect(violations).toEqual([{ policy: 'tunnel-nvr-exposed', path: 'clusters/dev/schools/school-9/nvrs/main.yaml', resource: 'Nvr/school-9-main', reason }]);
  });

  it('refuse a tunnel NVR of a school in public mode', () => {
    const violations = verify({ 'school-9/school.yaml': tunnelSchool('school-9', KEY_9, [], 'public'), 'school-9/nvrs/main.yaml': tunnelNvr('school-9', 'main', '192.168.10.5') });
    expect(violations).toEqual([
      { policy: 'tunnel-nvr-exposed', path: 'clusters/dev/schools/school-9/nvrs/main.yaml', resource: 'Nvr/school-9-main', reason: "School school-9 is not in tunnel mode: a tunnel Nvr needs its school's gateway" },
    ]);
  });

  it('refuse a gateway key that another school already holds, naming the first', () => {
    const violations = verify({
      'school-12/school.yaml': tunnelSchool('school-12', KEY_9, ['192.168.1.0/24']),
      'school-9/school.yaml': tunnelSchool('school-9', KEY_9, ['192.168.10.0/28']),
    });
    expect(violations).toEqual([
      {
        policy: 'gateway-key-unique',
        path: 'clusters/dev/schools/school-9/school.yaml',
        resource: 'School/school-9',
        reason: 'spec.tunnel.publicKey is already the gateway key of School school-12 (clusters/dev/schools/school-12/school.yaml)',
      },
    ]);
  });

  it('pass two schools with keys of their own', () => {
    expect(verify({ 'school-12/school.yaml': tunnelSchool('school-12', KEY_12, ['192.168.1.0/24']), 'school-9/school.yaml': tunnelSchool('school-9', KEY_9, ['192.168.10.0/28']) })).toEqual([]);
  });
});
