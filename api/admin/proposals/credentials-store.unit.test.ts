import { randomBytes } from 'node:crypto';
import { credentialsNameKey, credentialsSecretName, MemoryCredentialsStore } from './credentials-store.js';

const key = credentialsNameKey(Buffer.alloc(32, 7));
const gate = { schoolId: 'school-17', nvr: 'school-17-gate' };

describe('credential Secret names', () => {
  it('name the school and the NVR as the layout does, with a keyed hash of the credentials', () => {
    expect(credentialsSecretName(key, gate, { username: 'viewer', password: 'hunter2' })).toMatch(/^nvr-school-17-gate-[0-9a-f]{16}$/);
    expect(credentialsSecretName(key, { schoolId: 'school-17', nvr: 'lobby' }, { username: 'viewer', password: 'hunter2' })).toMatch(/^nvr-school-17-lobby-[0-9a-f]{16}$/);
  });

  it('stay the same for the same credentials and change with either field, the NVR or the key', () => {
    const name = (k: Buffer, t = gate, username = 'viewer', password = 'hunter2') => credentialsSecretName(k, t, { username, password });
    const names = [
      name(key),
      name(key, gate, 'viewer', 'hunter3'),
      name(key, gate, 'viewer2', 'hunter2'),
      name(key, { schoolId: 'school-17', nvr: 'school-17-yard' }),
      name(credentialsNameKey(randomBytes(32))),
      // The separator keeps "a:b" + "c" apart from "a" + "b:c".
      name(key, gate, 'view', 'er\u0000hunter2'),
    ];
    expect(name(key)).toBe(names[0]);
    expect(new Set(names.map((n) => n.slice(-16))).size).toBe(names.length);
  });

  it('are what the memory store answers, which keeps each value once and shows only names', async () => {
    const store = MemoryCredentialsStore.create({ nameKey: key });
    const first = await store.put(gate, { username: 'viewer', password: 'hunter2' });
    expect(await store.put(gate, { username: 'viewer', password: 'hunter2' })).toBe(first);
    expect(first).toBe(credentialsSecretName(key, gate, { username: 'viewer', password: 'hunter2' }));
    expect(store.names()).toEqual([first]);
    expect(JSON.stringify(store)).not.toContain('hunter2');
  });
});
