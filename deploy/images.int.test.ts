// The images built here from deploy/Dockerfile run as non-root on a read-only root and answer /healthz: the API and
// the webhook against PostgreSQL, the operator against the test API server, the probe on its own; each stops
// cleanly on SIGTERM as PID 1.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { exportJWK, generateKeyPair } from 'jose';
import { installCrds } from '../crds/install.js';
import { buildImages, missingImageTools, podman, type BuiltImages } from '../test/harness/images.js';
import { eventually, freePort, harnessDir, HARNESS_PREFIX, testDatabase, testKubeConfig, testNamespace } from '../test/harness/index.js';

const missing = missingImageTools();
const describeImages = missing.length === 0 ? describe : describe.skip;
if (missing.length > 0) console.warn(`image tests skipped: ${missing.join(', ')} not installed (.ci/run installs them)`);

const key = () => randomBytes(32).toString('base64');

describeImages('the images', () => {
  let images: BuiltImages;
  const containers: string[] = [];

  beforeAll(async () => {
    await installCrds(testKubeConfig());
    images = await buildImages();
    console.log(`image sizes (bytes): ${JSON.stringify(images.sizes)}`);
  }, 1_200_000);

  afterAll(async () => {
    for (const name of containers) await podman(['rm', '-f', '-t', '0', name]).catch(() => undefined);
  });

  /** Runs an image detached: its own user, nothing writable but what is given, the host's loopback. */
  async function start(image: string, env: Record<string, string>, extra: string[] = []): Promise<string> {
    const name = `${HARNESS_PREFIX}${randomBytes(4).toString('hex')}`;
    containers.push(name);
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    await podman(['run', '-d', '--name', name, '--read-only', '--read-only-tmpfs=false', '--network=host', '--cap-drop=ALL', ...extra, ...envArgs, image]);
    return name;
  }

  /** The status of a path once it answers 200; else the failure with the container's own output. */
  const healthz = (name: string, port: number, path = '/healthz') =>
    eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
      return res.status;
    }, 60_000, 500).catch(async (error: unknown) => {
      const logs = await podman(['logs', name]).catch((e: Error) => e.message);
      throw new Error(`${String(error)}\n${name} logs:\n${logs.slice(-3000)}`);
    });

  /** The test cluster's admin kubeconfig with its certificates inline, readable by the image's user 65532. */
  async function kubeconfigForImage(): Promise<{ file: string; mount: string[] }> {
    const kc = testKubeConfig();
    const cluster = kc.getCurrentCluster()!;
    const user = kc.getCurrentUser()!;
    const data = (inline: string | undefined, file: string | undefined) => inline ?? Buffer.from(readFileSync(file!)).toString('base64');
    const dir = await harnessDir('image-kubeconfig');
    await chmod(dir, 0o755);
    const file = `${dir}/kubeconfig`;
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: cluster.server, 'certificate-authority-data': data(cluster.caData, cluster.caFile) } }],
      users: [{ name: 'admin', user: { 'client-certificate-data': data(user.certData, user.certFile), 'client-key-data': data(user.keyData, user.keyFile) } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'admin' } }],
      'current-context': 'test',
    };
    await writeFile(file, JSON.stringify(config), { mode: 0o644 });
    return { file, mount: ['-v', `${dir}:${dir}:ro`] };
  }

  /** The process as PID 1 handles SIGTERM: a stop ends with its own exit code 0, not a SIGKILL's 137. */
  async function stopsOnSigterm(name: string): Promise<string> {
    await podman(['stop', '-t', '20', name]);
    return (await podman(['inspect', '--format', '{{.State.ExitCode}} {{.Config.User}}', name])).trim();
  }

  it('runs the API as user 65532 against PostgreSQL after its migrate entry point ran', async () => {
    const url = await testDatabase('img');
    const migrate = await podman(['run', '--rm', '--read-only', '--network=host', '--entrypoint', '/usr/local/bin/node', '-e', `DATABASE_URL=${url}`, images.api, '/app/migrate.mjs']);
    expect(migrate).toMatch(/^posbon migrate: schema at \S+, applied /);
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'ES256' };
    const kubeconfig = await kubeconfigForImage();
    const fleet = await testNamespace(testKubeConfig(), 'fleet');
    const port = await freePort();
    const name = await start(
      images.api,
      {
        DATABASE_URL: url,
        POSBON_API_HOST: '127.0.0.1',
        POSBON_API_PORT: String(port),
        // Host networking: any free port, since another process on this machine may hold 9464.
        POSBON_API_METRICS_PORT: '0',
        POSBON_ACCESS_TOKEN_SECRET: key(),
        POSBON_TOTP_SEALING_KEY: key(),
        POSBON_CREDENTIAL_NAMING_KEY: key(),
        POSBON_VIEWER_SIGNING_KEYS: JSON.stringify([jwk]),
        POSBON_DATA_DIR: '/tmp/posbon',
        POSBON_BOOTSTRAP_CREDENTIAL_FILE: '/tmp/posbon/bootstrap-credential',
        POSBON_MIGRATE_ON_START: 'false',
        KUBECONFIG: kubeconfig.file,
        POSBON_FLEET_NAMESPACE: fleet,
      },
      ['--tmpfs', '/tmp:size=16m,mode=1777', ...kubeconfig.mount],
    );
    expect(await healthz(name, port)).toBe(200);
    expect(await stopsOnSigterm(name)).toBe('0 65532:65532');
  }, 300_000);

  it('runs the webhook against PostgreSQL', async () => {
    const url = await testDatabase('imgwh');
    await podman(['run', '--rm', '--network=host', '--entrypoint', '/usr/local/bin/node', '-e', `DATABASE_URL=${url}`, images.api, '/app/migrate.mjs']);
    const dir = await harnessDir('webhook-devices');
    await chmod(dir, 0o755);
    await writeFile(`${dir}/devices.yaml`, '[]\n');
    const port = await freePort();
    const name = await start(
      images.webhook,
      { DATABASE_URL: url, POSBON_WEBHOOK_PORT: String(port), POSBON_WEBHOOK_METRICS_PORT: '0', POSBON_TOKEN_HASH_KEY: key(), POSBON_WEBHOOK_SEALING_KEY: key(), POSBON_WEBHOOK_DEVICES: '/devices/devices.yaml' },
      ['-v', `${dir}:/devices:ro`],
    );
    expect(await healthz(name, port)).toBe(200);
    expect(await stopsOnSigterm(name)).toBe('0 65532:65532');
  }, 300_000);

  it('runs the operator against the test API server: informers synced, the Lease taken', async () => {
    const kc = testKubeConfig();
    const kubeconfig = await kubeconfigForImage();
    const [fleet, media] = [await testNamespace(kc, 'fleet'), await testNamespace(kc, 'media')];
    const port = await freePort();
    const name = await start(
      images.operator,
      { KUBECONFIG: kubeconfig.file, POSBON_FLEET_NAMESPACE: fleet, POSBON_MEDIA_NAMESPACE: media, POSBON_OPERATOR_PORT: String(port), POD_NAME: 'operator-image' },
      kubeconfig.mount,
    );
    expect(await healthz(name, port)).toBe(200);
    expect(await healthz(name, port, '/readyz')).toBe(200);
    const lease = await eventually(() => kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: media, name: 'posbon-operator' }), 30_000, 500);
    expect(lease.spec?.holderIdentity).toBe('operator-image');
    expect(await stopsOnSigterm(name)).toBe('0 65532:65532');
  }, 300_000);

  it('runs the probe sidecar from its mounted allowlist and token', async () => {
    const dir = await harnessDir('probe-image');
    await chmod(dir, 0o755);
    await writeFile(`${dir}/allowlist.json`, '[]');
    await writeFile(`${dir}/token`, randomBytes(24).toString('hex'));
    const port = await freePort();
    const name = await start(
      images.probe,
      {
        POSBON_PROBE_NODE: 'image-node',
        POSBON_PROBE_LISTEN: `127.0.0.1:${port}`,
        POSBON_PROBE_ALLOWLIST: '/probe/allowlist.json',
        POSBON_PROBE_TOKEN_FILE: '/probe/token',
        POSBON_PROBE_CREDENTIALS_DIR: '/probe',
      },
      ['-v', `${dir}:/probe:ro`],
    );
    expect(await healthz(name, port)).toBe(200);
    expect(await stopsOnSigterm(name)).toBe('0 65532:65532');
  }, 300_000);
});
