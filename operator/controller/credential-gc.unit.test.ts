import type { V1Secret } from '@kubernetes/client-node';
import { nvr } from '../../test/fixtures/fleet.js';
import { DAY_MS, unreferencedCredentials } from './credential-gc.js';

const NOW = Date.parse('2026-11-29T09:00:00Z');
const secret = (name: string, ageMs: number, labelled = true): V1Secret => ({
  metadata: { name, creationTimestamp: new Date(NOW - ageMs), ...(labelled ? { labels: { 'posbon.io/credentials-for': 'nvr' } } : {}) },
});

describe('unreferencedCredentials', () => {
  const used = nvr('s1-gate', 's1', 1, { credentialsSecretRef: { name: 'nvr-s1-gate-00000000000000aa' } });

  it('picks only API-labelled nvr-* Secrets that nothing references and that are at least a day old', () => {
    const secrets = [
      secret('nvr-s1-gate-00000000000000aa', 2 * DAY_MS),
      secret('nvr-s1-gate-00000000000000bb', 2 * DAY_MS),
      secret('nvr-s1-gate-00000000000000cc', DAY_MS / 2),
      secret('nvr-s1-hand-made', 2 * DAY_MS, false),
      secret('other-credentials', 2 * DAY_MS),
    ];
    expect(unreferencedCredentials(secrets, [used], [], NOW, DAY_MS)).toEqual(['nvr-s1-gate-00000000000000bb']);
  });

  it('keeps a Secret a FaceIdDevice names as its signing secret', () => {
    const device = { spec: { webhookSecretRef: { name: 'nvr-s1-door-00000000000000dd' } } } as never;
    expect(unreferencedCredentials([secret('nvr-s1-door-00000000000000dd', 2 * DAY_MS)], [], [device], NOW, DAY_MS)).toEqual([]);
  });
});
