// `npm start`'s live view on its own: a run killed before it could stop its processes leaves them recorded, and the
// next run of the same data folder stops them before it starts its own; a port another program holds fails the start
// with that port's number, not with a MediaMTX that seems to run; a stop ends every process.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FolderFleetSource } from '../../api/admin/fleet-view/folder-source.js';
import { localFleet, startLocalMedia, type LocalMediaOptions } from '../../api/admin/local-media.js';
import type { Fleet } from '../../operator/core/index.js';
import { planFleet } from '../../operator/core/plan.js';
import { freePortRange } from '../harness/index.js';

let fleet: Fleet;
let base: number;
let dataDir: string;
const lines: string[] = [];

const options = (): LocalMediaOptions => ({ fleet, plan: planFleet(fleet), base, dataDir, apiUrl: 'http://127.0.0.1:9', nvrPassword: 'an-nvr-password-1', log: (line) => lines.push(line) });
const recorded = async () => (JSON.parse(await readFile(join(dataDir, 'media', 'pids.json'), 'utf8')) as Array<{ pid: number }>).map((p) => p.pid);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  const folder = FolderFleetSource.create({ dir: resolve('gitops/example/clusters/dev'), namespace: 'posbon-fleet' });
  await folder.start();
  base = await freePortRange(20);
  fleet = localFleet(folder.fleet(), base);
  await folder.stop();
  dataDir = await mkdtemp(join(tmpdir(), 'posbon-local-media-'));
}, 300_000);

afterAll(async () => {
  for (const pid of await recorded().catch(() => [])) if (alive(pid)) process.kill(-pid, 'SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

it('stops what a killed run of the same data folder left running, then runs its own, and its stop ends them all', async () => {
  // GIVEN a run that never stopped its processes (npm start was killed)
  await startLocalMedia(options());
  const left = await recorded();
  expect({ count: left.length, alive: left.every(alive) }).toEqual({ count: 4, alive: true });
  // WHEN the next run of the same data folder starts
  lines.length = 0;
  const next = await startLocalMedia(options());
  // THEN the earlier run's processes are gone, each named once, and the new ones run
  const running = await recorded();
  try {
    expect({ left: left.filter(alive), named: lines.filter((l) => l.includes('left running')).length, running: running.length, alive: running.every(alive), reused: running.filter((p) => left.includes(p)) }).toEqual({
      left: [],
      named: 4,
      running: 4,
      alive: true,
      reused: [],
    });
  } finally {
    // AND a stop ends all of them (a failed expectation stops them too: the next test needs the ports)
    await next.stop();
  }
  expect(running.filter(alive)).toEqual([]);
}, 120_000);

it("fails with the port's number when another program holds a node's port, and leaves nothing of its own running", async () => {
  const webrtc = base + 1;
  const blocker: Server = await new Promise((ready) => {
    const server = createServer().listen(webrtc, '127.0.0.1', () => ready(server));
  });
  try {
    await expect(startLocalMedia(options())).rejects.toThrow(`port ${webrtc} is in use by another program`);
    const started = await recorded();
    expect({ started: started.length, alive: started.filter(alive) }).toEqual({ started: 2, alive: [] });
  } finally {
    await new Promise((done) => blocker.close(done));
  }
}, 120_000);
