// Prints how fast real MediaMTX serves a renewed certificate and what its viewers lose meanwhile: an HLS player's
// decoded frames and a WHEP reader's bytes, in windows before and after each renewal.
// Run: npx tsx bench/media-tls.ts [renewals] [window seconds]
import { performance } from 'node:perf_hooks';
import { publishedCameras } from '../operator/core/fleet.js';
import { renderMediaMtxConfig } from '../operator/core/mediamtx.js';
import { mediaNode, nvr } from '../test/fixtures/fleet.js';
import { loopbackRenderOptions } from '../test/fixtures/operator.js';
import {
  ConfigMapDir,
  allocateMediaMtxPorts,
  createTestCa,
  httpsRequest,
  startFfmpegHlsReader,
  startJwks,
  startMediaMtx,
  startRtspCamera,
  startWhepReader,
} from '../test/harness/index.js';

const renewals = Number(process.argv[2] ?? 5);
const windowSeconds = Number(process.argv[3] ?? 10);
const NODE = 'bench-tls';
const PATH = 'school-a/gate/entrance';
const FPS = 15;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const camera = await startRtspCamera();
const jwks = await startJwks(NODE);
const ca = await createTestCa();
const hosts = [`${NODE}.media.example`, '127.0.0.1'];
const certificates = await Promise.all(Array.from({ length: renewals + 1 }, (_, i) => ca.issue((0x2000 + i).toString(16), hosts)));
const ports = await allocateMediaMtxPorts();
const gate = nvr('gate', 'school-a', 0, {
  publicHost: '127.0.0.1',
  publicRtspPort: camera.port,
  cameras: [{ id: 'entrance', name: 'Entrance', enabled: true, stream: 'main', channel: 1 }],
});
const rendered = renderMediaMtxConfig(
  mediaNode(NODE, { tls: { issuerRef: { name: 'media-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' } } }),
  [{ nvr: gate, cameras: publishedCameras(gate) }],
  () => ({ username: camera.username, password: camera.password }),
  await loopbackRenderOptions(ports, jwks.url),
);
const secret = await ConfigMapDir.create({ 'tls.crt': certificates[0]!.cert, 'tls.key': certificates[0]!.key });
const node = await startMediaMtx(await ConfigMapDir.create({ 'mediamtx.yml': rendered.yaml }), ports.hls, 'mediamtx.yml', undefined, {
  MTX_HLSSERVERCERT: secret.path('tls.crt'),
  MTX_HLSSERVERKEY: secret.path('tls.key'),
  MTX_WEBRTCSERVERCERT: secret.path('tls.crt'),
  MTX_WEBRTCSERVERKEY: secret.path('tls.key'),
});
const token = await jwks.sign(PATH, '1h');
const player = await startFfmpegHlsReader(`https://127.0.0.1:${ports.hls}/${PATH}/index.m3u8`, token, ca.cert);
const whep = await startWhepReader(`wheps://127.0.0.1:${ports.webrtc}/${PATH}/whep`, token, certificates[0]!.fingerprint);
const whepBytes = () => whep.bytesReceived();

try {
  while ((await player.frames()) < FPS * 4 || !(await whep.state())?.ready) await sleep(200);
  const rows: string[] = [];
  for (let i = 1; i <= renewals; i++) {
    const [f0, b0] = [await player.frames(), await whepBytes()];
    await sleep(windowSeconds * 1000);
    const [f1, b1] = [await player.frames(), await whepBytes()];
    const swapped = performance.now();
    await secret.swap({ 'tls.crt': certificates[i]!.cert, 'tls.key': certificates[i]!.key });
    let polls = 0;
    for (;;) {
      polls++;
      const served = await httpsRequest(`https://127.0.0.1:${ports.webrtc}/${PATH}/whep`, ca.cert, { method: 'OPTIONS' });
      if (served.serial === certificates[i]!.serial) break;
      await sleep(5);
    }
    const pickupMs = performance.now() - swapped;
    const hlsServed = await httpsRequest(`https://127.0.0.1:${ports.hls}/${PATH}/index.m3u8`, ca.cert, { headers: { authorization: `Bearer ${token}` } });
    await sleep(windowSeconds * 1000 - (performance.now() - swapped));
    const [f2, b2] = [await player.frames(), await whepBytes()];
    rows.push(
      `renewal ${i}: new serial on WHEP after ${pickupMs.toFixed(0)} ms (${polls} TLS handshakes), HLS ${hlsServed.serial === certificates[i]!.serial ? 'same' : 'OLD'}; ` +
        `HLS frames ${f1 - f0} before / ${f2 - f1} after (source ${FPS * windowSeconds}); WHEP kB ${((b1 - b0) / 1024).toFixed(0)} before / ${((b2 - b1) / 1024).toFixed(0)} after; ` +
        `player ${player.service.exited() ? 'EXITED' : 'playing'}, WHEP ${(await whep.state())?.ready ? 'playing' : 'DROPPED'}`,
    );
    console.log(rows[rows.length - 1]);
  }
} finally {
  await player.stop();
  await whep.stop();
  await node.stop();
  await camera.stop();
  await jwks.stop();
}
