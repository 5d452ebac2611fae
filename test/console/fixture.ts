// The example fleet served as `npm start` serves it: its NVRs at the local test-pattern camera, its media nodes at
// local MediaMTX processes, an API on loopback over the test PostgreSQL with the built console at `/`.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureConsole } from '../../api/console/build.js';
import { CONSOLE_DIST } from '../../api/console/static.js';
import { FolderFleetSource } from '../../api/admin/fleet-view/folder-source.js';
import { MemoryFleetSource } from '../../api/admin/fleet-view/source.js';
import { localFleet, startLocalMedia, type LocalMedia } from '../../api/admin/local-media.js';
import { planFleet } from '../../operator/core/plan.js';
import { startTestApi, type TestApi } from '../api/fixture.js';
import { freePortRange } from '../harness/index.js';

export interface ConsoleBench {
  api: TestApi;
  media: LocalMedia;
  close(): Promise<void>;
}

export async function startConsoleBench(options: { databaseUrl?: string; onDemandCloseAfter?: string; viewerTtlSeconds?: number } = {}): Promise<ConsoleBench> {
  await ensureConsole(() => undefined);
  const folder = FolderFleetSource.create({ dir: resolve('gitops/example/clusters/dev'), namespace: 'posbon-fleet' });
  await folder.start();
  // Twenty free ports for the two media nodes and the camera.
  const fleet = localFleet(folder.fleet(), await freePortRange(20));
  await folder.stop();
  const api = await startTestApi({
    source: MemoryFleetSource.create({ fleet }),
    http: { consoleDir: CONSOLE_DIST },
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.viewerTtlSeconds ? { viewerTtlSeconds: options.viewerTtlSeconds } : {}),
  });
  const dataDir = await mkdtemp(join(tmpdir(), 'posbon-console-'));
  const base = Number(new URL(fleet.nodes[0]!.spec.webrtcBaseUrl).port) - 1;
  let media: LocalMedia;
  try {
    media = await startLocalMedia({ fleet, plan: planFleet(fleet), base, dataDir, apiUrl: api.url, nvrPassword: randomBytes(16).toString('base64url'), log: () => undefined, ...(options.onDemandCloseAfter ? { onDemandCloseAfter: options.onDemandCloseAfter } : {}) });
    if (media.lines[0]?.includes('live view off')) throw new Error(media.lines[0]);
  } catch (error) {
    await api.close();
    throw error;
  }
  return {
    api,
    media,
    async close() {
      await media.stop();
      await api.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
