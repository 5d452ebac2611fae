// Leader election against the real API server: failures within the renew deadline keep the lease, and a holder
// whose clock is far behind is not overthrown while it keeps renewing.
import { randomBytes } from 'node:crypto';
import { CoordinationV1Api, KubeConfig, RbacAuthorizationV1Api, V1MicroTime } from '@kubernetes/client-node';
import winston from 'winston';
import Transport from 'winston-transport';
import { eventually, testKubeConfig, testKubeconfigFor, testNamespace } from '../../test/harness/index.js';
import { LeaderElector, leaseTimings } from './leader.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recordingLog() {
  const lines: string[] = [];
  const transport = new Transport();
  transport.log = (info: { message: string }, next: () => void) => {
    lines.push(info.message);
    next();
  };
  return { lines, log: winston.createLogger({ transports: [transport] }) };
}

let admin: KubeConfig;
let namespace: string;
let rbac: RbacAuthorizationV1Api;
let leases: CoordinationV1Api;

beforeAll(async () => {
  admin = testKubeConfig();
  namespace = await testNamespace(admin, 'lease');
  rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  leases = admin.makeApiClient(CoordinationV1Api);
  await rbac.createNamespacedRole({
    namespace,
    body: { metadata: { name: 'elector' }, rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }] },
  });
});

const bind = (user: string) =>
  rbac.createNamespacedRoleBinding({
    namespace,
    body: { metadata: { name: user }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'elector' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }] },
  });

async function electorAs(user: string, lease: string, seconds: number) {
  const kc = new KubeConfig();
  kc.loadFromFile(await testKubeconfigFor(user));
  const { lines, log } = recordingLog();
  const elector = new LeaderElector(kc, { namespace, name: lease, identity: user, ...leaseTimings(seconds) }, log);
  const events: string[] = [];
  elector.run(
    () => events.push('started'),
    () => events.push('stopped'),
  );
  return { elector, events, lines };
}

describe('LeaderElector', () => {
  it('keeps leading through a failed renew, and gives leadership up only when renewing fails until the deadline', async () => {
    const user = `elector-${randomBytes(3).toString('hex')}`;
    await bind(user);
    const { elector, events, lines } = await electorAs(user, 'renew', 6);
    try {
      await eventually(() => expect(events).toEqual(['started']));
      // The renew is refused for real: the API server forbids it while the binding is gone.
      await rbac.deleteNamespacedRoleBinding({ namespace, name: user });
      await eventually(() => expect(lines).toContain('lease update failed'), 10_000, 20);
      await bind(user);
      const renewedAfter = (await leases.readNamespacedLease({ namespace, name: 'renew' })).spec?.renewTime;
      await eventually(async () => expect((await leases.readNamespacedLease({ namespace, name: 'renew' })).spec?.renewTime).not.toEqual(renewedAfter));
      expect([events, elector.isLeader()]).toEqual([['started'], true]);

      await rbac.deleteNamespacedRoleBinding({ namespace, name: user });
      await eventually(() => expect(events).toEqual(['started', 'stopped']), 20_000, 100);
      expect(elector.isLeader()).toBe(false);
    } finally {
      await elector.stop();
    }
  });

  it('does not take over from a holder that keeps renewing, however far behind its clock is', async () => {
    const user = `elector-${randomBytes(3).toString('hex')}`;
    await bind(user);
    // The other holder's clock says 2020: its renewTime is years old, yet it changes at every renew.
    let skewed = Date.parse('2020-01-01T00:00:00Z');
    const holderSpec = () => ({ holderIdentity: 'skewed-holder', leaseDurationSeconds: 2, acquireTime: new V1MicroTime(skewed), renewTime: new V1MicroTime(skewed), leaseTransitions: 0 });
    await leases.createNamespacedLease({ namespace, body: { metadata: { name: 'skew' }, spec: holderSpec() } });
    const renewing = setInterval(() => {
      skewed += 500;
      void leases
        .readNamespacedLease({ namespace, name: 'skew' })
        .then((lease) => (lease.spec?.holderIdentity === 'skewed-holder' ? leases.replaceNamespacedLease({ namespace, name: 'skew', body: { ...lease, spec: holderSpec() } }) : undefined))
        .catch(() => undefined);
    }, 300);
    const { elector, events } = await electorAs(user, 'skew', 2);
    try {
      // Three lease durations of a holder that stays alive.
      await sleep(6_000);
      expect(events).toEqual([]);
      clearInterval(renewing);
      await eventually(() => expect(events).toEqual(['started']), 20_000, 100);
      const taken = await leases.readNamespacedLease({ namespace, name: 'skew' });
      expect([taken.spec?.holderIdentity, taken.spec?.leaseTransitions]).toEqual([user, 1]);
    } finally {
      clearInterval(renewing);
      await elector.stop();
    }
  });
});
