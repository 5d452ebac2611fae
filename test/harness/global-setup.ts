// One control plane and one PostgreSQL cluster per Jest run; test files reach them through the environment.
import { startControlPlane } from './control-plane.js';
import { startPostgres } from './postgres.js';

export default async function globalSetup(): Promise<void> {
  const [controlPlane, postgres] = await Promise.all([startControlPlane(), startPostgres()]);
  (globalThis as Record<string, unknown>).__posbonHarness = { controlPlane, postgres };
  process.env.POSBON_TEST_KUBECONFIG = controlPlane.kubeconfigPath;
  process.env.POSBON_TEST_CONTROL_PLANE_DIR = controlPlane.dir;
  process.env.POSBON_TEST_PG_URL = postgres.url;
}
