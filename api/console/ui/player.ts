// Plays one camera: WHEP over the browser's RTCPeerConnection, falling back to HLS through hls.js (loaded only then).
// The viewer token is renewed before it ends, so HLS segment requests and the WHEP session's teardown always carry a
// live one.
import { get } from './api.js';

export interface StreamGrant {
  cameraId: string;
  mediaNode: string;
  whepUrl: string;
  hlsUrl: string;
  token: string;
  expiresAt: string;
}

export type Via = 'webrtc' | 'hls';
export type Mode = Via | 'auto';

export interface PlayerEvents {
  playing(via: Via): void;
  failed(message: string): void;
}

/** How long a WHEP session may take to deliver a track before HLS is tried. */
const WEBRTC_PATIENCE_MS = 8_000;

class Grants {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private constructor(
    private readonly cameraId: string,
    public current: StreamGrant,
  ) {}

  static async start(cameraId: string): Promise<Grants> {
    const grants = new Grants(cameraId, await get<StreamGrant>(`/cameras/${encodeURIComponent(cameraId)}/stream`));
    grants.schedule();
    return grants;
  }

  private schedule(): void {
    const wait = Math.max(5_000, new Date(this.current.expiresAt).getTime() - Date.now() - 30_000);
    this.timer = setTimeout(() => {
      get<StreamGrant>(`/cameras/${encodeURIComponent(this.cameraId)}/stream`).then(
        (next) => {
          this.current = next;
          this.schedule();
        },
        () => this.schedule(),
      );
    }, wait);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

async function playWebRtc(video: HTMLVideoElement, grants: Grants, signal: AbortSignal): Promise<() => void> {
  const pc = new RTCPeerConnection();
  let session: string | undefined;
  // The session is ended by its URL first: closed from this side alone, the server drops it before the DELETE lands.
  const stop = () => {
    if (!session) return pc.close();
    void fetch(session, { method: 'DELETE', headers: { authorization: `Bearer ${grants.current.token}` } })
      .catch(() => undefined)
      .finally(() => pc.close());
  };
  try {
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const track = new Promise<MediaStream>((resolve, reject) => {
      pc.ontrack = (event) => {
        if (event.track.kind === 'video') resolve(event.streams[0] ?? new MediaStream([event.track]));
      };
      pc.onconnectionstatechange = () => {
        if (pc.connectionState === 'failed') reject(new Error('WebRTC connection failed'));
      };
      setTimeout(() => reject(new Error('WebRTC: no video within 8 s')), WEBRTC_PATIENCE_MS);
    });
    await pc.setLocalDescription(await pc.createOffer());
    // The answer carries the media node's candidates; the browser's checks reach it directly, so no trickle is needed.
    const res = await fetch(grants.current.whepUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp', authorization: `Bearer ${grants.current.token}` },
      body: pc.localDescription!.sdp,
      signal,
    });
    if (res.status !== 201) throw new Error(`WHEP ${res.status}: ${(await res.text()).slice(0, 200)}`);
    const location = res.headers.get('location');
    if (location) session = new URL(location, grants.current.whepUrl).href;
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    video.srcObject = await track;
    await video.play();
    return stop;
  } catch (error) {
    stop();
    throw error;
  }
}

async function playHls(video: HTMLVideoElement, grants: Grants): Promise<() => void> {
  const { default: Hls } = await import('hls.js/light');
  if (!Hls.isSupported()) throw new Error('this browser cannot play HLS (no Media Source Extensions)');
  // No worker: the CSP allows none, and one stream a tile does not need it.
  const hls = new Hls({
    enableWorker: false,
    lowLatencyMode: true,
    xhrSetup: (xhr) => xhr.setRequestHeader('authorization', `Bearer ${grants.current.token}`),
    // MediaMTX answers 404 while an on-demand pull and its muxer start: retried for up to ~10 s; 401/403 are final.
    manifestLoadPolicy: {
      default: {
        maxTimeToFirstByteMs: 10_000,
        maxLoadTimeMs: 20_000,
        timeoutRetry: { maxNumRetry: 2, retryDelayMs: 0, maxRetryDelayMs: 0 },
        errorRetry: {
          maxNumRetry: 20,
          retryDelayMs: 250,
          maxRetryDelayMs: 1_000,
          backoff: 'linear',
          shouldRetry: (config, count, _timeout, response) =>
            !!config && count < config.maxNumRetry && (response?.code === 404 || !response?.code || response.code >= 500),
        },
      },
    },
  });
  const ready = new Promise<void>((resolve, reject) => {
    hls.on(Hls.Events.MANIFEST_PARSED, () => resolve());
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (data.fatal) reject(new Error(`HLS: ${data.details}`));
    });
  });
  hls.loadSource(grants.current.hlsUrl);
  hls.attachMedia(video);
  try {
    await ready;
    await video.play();
  } catch (error) {
    hls.destroy();
    throw error;
  }
  return () => hls.destroy();
}

/** Starts playing; the returned function stops the stream and the token renewal. */
export async function play(video: HTMLVideoElement, cameraId: string, mode: Mode, events: PlayerEvents): Promise<() => void> {
  const abort = new AbortController();
  let stopMedia: () => void = () => undefined;
  let grants: Grants | undefined;
  const stop = () => {
    abort.abort();
    stopMedia();
    grants?.stop();
  };
  try {
    grants = await Grants.start(cameraId);
    video.addEventListener('playing', () => events.playing(video.srcObject ? 'webrtc' : 'hls'));
    if (mode !== 'hls') {
      try {
        stopMedia = await playWebRtc(video, grants, abort.signal);
        return stop;
      } catch (error) {
        if (mode === 'webrtc' || abort.signal.aborted) throw error;
      }
    }
    video.srcObject = null;
    stopMedia = await playHls(video, grants);
  } catch (error) {
    stop();
    events.failed(error instanceof Error ? error.message : String(error));
  }
  return stop;
}
