import { mediaNode, nvr, school } from '../../test/fixtures/fleet.js';
import { admitFleet, isValidTimezone } from './admission.js';
import { planFleet } from './plan.js';

describe('admitFleet', () => {
  const fleet = {
    nodes: [mediaNode('fsn1-a')],
    schools: [school('school-1'), school('school-2', { timezone: 'Asia/Atlantis' })],
    nvrs: [nvr('school-1-gate', 'school-1', 2), nvr('school-2-yard', 'school-2', 1)],
  };

  it('leaves out a school whose time zone the runtime does not know, saying why', () => {
    const admitted = admitFleet(fleet);
    expect(admitted.fleet.schools.map((s) => s.metadata.name)).toEqual(['school-1']);
    expect([...admitted.rejected]).toEqual([['School/school-2', { reason: 'InvalidTimezone', message: 'spec.timezone Asia/Atlantis is not an IANA time zone' }]]);
  });

  it('leaves out NVRs without credentials only when the shell can tell', () => {
    expect(admitFleet(fleet).fleet.nvrs).toHaveLength(2);
    const admitted = admitFleet(fleet, { hasCredentials: (n) => n.metadata.name !== 'school-1-gate', namespace: 'posbon-fleet' });
    expect(admitted.fleet.nvrs.map((n) => n.metadata.name)).toEqual(['school-2-yard']);
    expect(admitted.rejected.get('Nvr/school-1-gate')).toEqual({
      reason: 'CredentialsMissing',
      message: 'Secret school-1-gate-credentials with keys username and password not found in posbon-fleet',
    });
  });

  it('returns the very fleet when nothing is left out', () => {
    const clean = { ...fleet, schools: [fleet.schools[0]!], nvrs: [fleet.nvrs[0]!] };
    expect(admitFleet(clean).fleet).toBe(clean);
  });

  it('is what planFleet plans over: the NVRs of a left-out school are published nowhere', () => {
    const plan = planFleet(fleet);
    expect([plan.shards.get('fsn1-a')!.schools, [...plan.rejected.keys()], plan.assignments.has('school-2')]).toEqual([['school-1'], ['School/school-2'], false]);
  });

  it('knows IANA zones and refuses others', () => {
    expect(['Asia/Tashkent', 'UTC', 'Asia/Atlantis', ''].map(isValidTimezone)).toEqual([true, true, false, false]);
  });
});
