// Jest loads global setup outside its transform: load the TypeScript harness through tsx.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const harness = await tsImport('./global-harness.ts', import.meta.url);
  globalThis.__posbonHarness = harness;
  await harness.setUp();
}
