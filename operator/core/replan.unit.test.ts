import type { Nvr } from '../../crds/index.js';
import { generateFleet } from '../../test/fixtures/fleet.js';
import type { Fleet } from './fleet.js';
import { planFleet } from './plan.js';
import { replanNvrs } from './replan.js';

const base = generateFleet({ schools: 60, nvrsPerSchool: 3, camerasPerNvr: 4, nodes: 4 });

/** The fleet with the NVRs named replaced as `edit` says (undefined deletes one). */
function edited(fleet: Fleet, edits: Record<string, (nvr: Nvr) => Nvr | undefined>): Fleet {
  return { ...fleet, nvrs: fleet.nvrs.flatMap((nvr) => (edits[nvr.metadata.name] ? (edits[nvr.metadata.name]!(nvr) ?? []) : [nvr])) };
}

const spec = (nvr: Nvr, changes: Partial<Nvr['spec']>): Nvr => ({ ...nvr, metadata: { ...nvr.metadata, generation: 2 }, spec: { ...nvr.spec, ...changes } });

describe('replanNvrs', () => {
  const previous = planFleet(base);
  const [a, b, c] = [base.nvrs[0]!, base.nvrs[40]!, base.nvrs[121]!];

  it('gives the whole plan after edits that keep every camera count, sharing the assignments', () => {
    const fleet = edited(base, {
      [a.metadata.name]: (n) => spec(n, { publicRtspPort: 20554 }),
      [b.metadata.name]: (n) => spec(n, { publicHost: '203.0.113.99', cameras: n.spec.cameras.map((cam) => ({ ...cam, name: `${cam.name} renamed` })) }),
      [c.metadata.name]: (n) => spec(n, { connectivity: 'tunnel', tunnel: { host: '192.168.1.64', rtspPort: 554 } }),
    });
    const replanned = replanNvrs(previous, fleet, new Set([a, b, c].map((n) => n.metadata.name)));
    expect(replanned).toEqual(planFleet(fleet));
    expect(replanned!.assignments).toBe(previous.assignments);
  });

  it('keeps the untouched shards as they were', () => {
    const fleet = edited(base, { [a.metadata.name]: (n) => spec(n, { publicRtspPort: 20554 }) });
    const replanned = replanNvrs(previous, fleet, new Set([a.metadata.name]))!;
    const touched = previous.assignments.get(a.spec.schoolRef)!.node!;
    for (const [node, shard] of replanned.shards) {
      if (node === touched) expect(shard).not.toBe(previous.shards.get(node));
      else expect(shard).toBe(previous.shards.get(node));
    }
  });

  it('records an NVR whose credentials went missing as rejected, like the whole plan', () => {
    const empty = { ...a, spec: { ...a.spec, cameras: [] } };
    const fleet = edited(base, { [a.metadata.name]: () => empty });
    const start = planFleet(fleet);
    const renamed = edited(fleet, { [a.metadata.name]: (n) => spec(n, { credentialsSecretRef: { name: 'gone' } }) });
    const admission = { hasCredentials: (nvr: Nvr) => nvr.spec.credentialsSecretRef.name !== 'gone', namespace: 'posbon-fleet' };
    const startAdmitted = planFleet(fleet, undefined, admission);
    expect(startAdmitted).toEqual(start);
    const replanned = replanNvrs(startAdmitted, renamed, new Set([a.metadata.name]), admission);
    expect(replanned).toEqual(planFleet(renamed, undefined, admission));
    expect(replanned!.rejected.get(`Nvr/${a.metadata.name}`)?.reason).toBe('CredentialsMissing');
  });

  it('declines when a camera count changes, an NVR is new or deleted, or a touched shard has a tunnel', () => {
    const more = edited(base, { [a.metadata.name]: (n) => spec(n, { cameras: [...n.spec.cameras, { id: 'cam9', name: 'Gate', enabled: true, stream: 'main', channel: 9 }] }) });
    expect(replanNvrs(previous, more, new Set([a.metadata.name]))).toBeUndefined();
    expect(replanNvrs(previous, edited(base, { [a.metadata.name]: () => undefined }), new Set([a.metadata.name]))).toBeUndefined();
    const added = { ...base, nvrs: [...base.nvrs, { ...a, metadata: { ...a.metadata, name: 'new-nvr' } }] };
    expect(replanNvrs(previous, added, new Set(['new-nvr']))).toBeUndefined();
    const tunnelled = edited(base, { [c.metadata.name]: (n) => spec(n, { connectivity: 'tunnel', tunnel: { host: '192.168.1.64', rtspPort: 554 } }) });
    const withTunnel = planFleet(tunnelled);
    const again = edited(tunnelled, { [c.metadata.name]: (n) => spec(n, { publicRtspPort: 20554 }) });
    expect(replanNvrs(withTunnel, again, new Set([c.metadata.name]))).toBeUndefined();
  });

  it('returns the previous plan when nothing changed', () => {
    expect(replanNvrs(previous, base, new Set())).toBe(previous);
  });
});
