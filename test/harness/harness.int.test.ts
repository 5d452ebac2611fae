// Proves the harness: the real servers start, answer, and behave as the rest of the suite relies on.
import { ApiextensionsV1Api, CustomObjectsApi, Watch } from '@kubernetes/client-node';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { stringify } from 'yaml';
import {
  ConfigMapDir,
  allocateMediaMtxPorts,
  eventually,
  loopbackGlobals,
  pathState,
  startMediaMtx,
  startRtspCamera,
  testDatabase,
  testKubeConfig,
  testNamespace,
  type MediaMtx,
  type RtspCamera,
} from './index.js';

describe('control plane', () => {
  it('serves an installed CRD and delivers a created object through a watch', async () => {
    const kc = testKubeConfig();
    const ns = await testNamespace(kc);
    await kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({
      body: {
        metadata: { name: 'widgets.harness.posbon.io' },
        spec: {
          group: 'harness.posbon.io',
          names: { kind: 'Widget', plural: 'widgets', singular: 'widget' },
          scope: 'Namespaced',
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
                },
              },
            },
          ],
        },
      },
    });
    const objects = kc.makeApiClient(CustomObjectsApi);
    const create = () =>
      objects.createNamespacedCustomObject({
        group: 'harness.posbon.io',
        version: 'v1',
        namespace: ns,
        plural: 'widgets',
        body: { apiVersion: 'harness.posbon.io/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } },
      });
    // The CRD is served a moment after it is created.
    await eventually(create, 30_000, 200);

    const seen = await new Promise<{ type: string; size: number }>((resolve, reject) => {
      void new Watch(kc)
        .watch(
          `/apis/harness.posbon.io/v1/namespaces/${ns}/widgets`,
          {},
          (type, obj: { spec: { size: number } }) => resolve({ type, size: obj.spec.size }),
          (err) => (err ? reject(err) : undefined),
        )
        .then((req) => setTimeout(() => req.abort(), 10_000));
    });
    expect(seen).toEqual({ type: 'ADDED', size: 3 });
  });
});

describe('MediaMTX media node pulling a camera on demand', () => {
  let camera: RtspCamera;
  let node: MediaMtx;
  let ports: Awaited<ReturnType<typeof allocateMediaMtxPorts>>;

  beforeAll(async () => {
    camera = await startRtspCamera();
    ports = await allocateMediaMtxPorts();
    const config = await ConfigMapDir.create({
      'mediamtx.yml': stringify({
        ...loopbackGlobals(ports),
        api: true,
        hlsVariant: 'mpegts',
        hlsSegmentCount: 3,
        hlsSegmentDuration: '1s',
        hlsMuxerCloseAfter: '2s',
        webrtc: false,
        authInternalUsers: [{ user: 'any', pass: '', ips: [], permissions: [{ action: 'read' }, { action: 'api' }] }],
        paths: { 'school1/cam1': { source: camera.url, sourceOnDemand: true, sourceOnDemandCloseAfter: '2s' } },
      }),
    });
    node = await startMediaMtx(config, ports.hls);
  });

  afterAll(async () => {
    await node?.stop();
    await camera?.stop();
  });

  it('pulls only while a reader watches, then lets go', async () => {
    // GIVEN nobody watches: the camera is not pulled.
    expect(await camera.readers()).toBe(0);
    expect((await pathState(ports.api, 'school1/cam1'))?.ready).toBe(false);

    // WHEN an HLS reader asks: the pull starts and a segment arrives.
    const hls = `http://127.0.0.1:${ports.hls}/school1/cam1`;
    const segment = await eventually(async () => {
      const playlist = await fetch(`${hls}/index.m3u8`);
      if (!playlist.ok) throw new Error(`playlist ${playlist.status}`);
      const text = await playlist.text();
      const variant = text.split('\n').find((l) => /\.m3u8(\?|$)/.test(l));
      const media = variant ? await (await fetch(`${hls}/${variant}`)).text() : text;
      const name = media.split('\n').find((l) => /\.ts(\?|$)/.test(l));
      if (!name) throw new Error('no segment yet');
      return new Uint8Array(await (await fetch(`${hls}/${name}`)).arrayBuffer());
    }, 30_000, 250);
    expect(segment.length).toBeGreaterThan(1000);
    expect(segment[0]).toBe(0x47); // MPEG-TS sync byte
    expect(await camera.readers()).toBe(1);

    // THEN after the reader leaves and the close-after delays pass, the camera is let go.
    await eventually(async () => expect(await camera.readers()).toBe(0), 30_000, 250);
  });
});

class CreateProbeTable1700000000000 implements MigrationInterface {
  name = 'CreateProbeTable1700000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE probe (id serial PRIMARY KEY, note text NOT NULL)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE probe');
  }
}

describe('PostgreSQL', () => {
  it('accepts a connection and runs a TypeORM migration', async () => {
    const db = new DataSource({ type: 'postgres', url: await testDatabase(), migrations: [CreateProbeTable1700000000000] });
    await db.initialize();
    try {
      const ran = await db.runMigrations();
      expect(ran.map((m) => m.name)).toEqual(['CreateProbeTable1700000000000']);
      await db.query("INSERT INTO probe (note) VALUES ('ok')");
      expect(await db.query('SELECT note FROM probe')).toEqual([{ note: 'ok' }]);
      expect(await db.runMigrations()).toEqual([]);
    } finally {
      await db.destroy();
    }
  });
});
