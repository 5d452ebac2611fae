export default async function globalTeardown() {
  await globalThis.__posbonHarness?.tearDown();
}
