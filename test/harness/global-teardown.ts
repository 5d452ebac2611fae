import type { ControlPlane } from './control-plane.js';
import type { Postgres } from './postgres.js';

export default async function globalTeardown(): Promise<void> {
  const harness = (globalThis as Record<string, unknown>).__posbonHarness as
    | { controlPlane: ControlPlane; postgres: Postgres }
    | undefined;
  await Promise.all([harness?.controlPlane.stop(), harness?.postgres.stop()]);
}
