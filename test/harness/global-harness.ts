// One control plane and one PostgreSQL cluster per Jest run; test files reach them through the environment.
import { randomBytes } from 'node:crypto';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { startPostgres, type Postgres } from './postgres.js';
import { removeRunFolders } from './process.js';

let running: { controlPlane: ControlPlane; postgres: Postgres } | undefined;

export async function setUp(): Promise<void> {
  // Set before anything starts: the workers inherit it, and every harness folder of this run carries it.
  process.env.POSBON_HARNESS_RUN ??= `run${randomBytes(3).toString('hex')}`;
  const [controlPlane, postgres] = await Promise.all([startControlPlane(), startPostgres()]);
  running = { controlPlane, postgres };
  process.env.POSBON_TEST_KUBECONFIG = controlPlane.kubeconfigPath;
  process.env.POSBON_TEST_CONTROL_PLANE_DIR = controlPlane.dir;
  process.env.POSBON_TEST_PG_URL = postgres.url;
}

export async function tearDown(): Promise<void> {
  await Promise.all([running?.controlPlane.stop(), running?.postgres.stop()]);
  running = undefined;
  if (process.env.POSBON_HARNESS_RUN) removeRunFolders(process.env.POSBON_HARNESS_RUN);
}
