import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { play, type Mode, type Via } from '../player.js';
import { go, href } from '../route.js';

function Tile({ cameraId, mode, onClose }: { cameraId: string; mode: Mode; onClose: () => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<{ playing?: Via; failed?: string }>({});
  useEffect(() => {
    setState({});
    let stop: (() => void) | undefined;
    let cancelled = false;
    void play(video.current!, cameraId, mode, {
      playing: (via) => setState({ playing: via }),
      failed: (message) => setState({ failed: message }),
    }).then((s) => {
      if (cancelled) s();
      else stop = s;
    });
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [cameraId, mode]);
  const status = state.failed ? t('failed', { message: state.failed }) : state.playing ? t('playing', { via: state.playing === 'webrtc' ? 'WebRTC' : 'HLS' }) : t('connecting');
  return (
    <figure class="tile" data-camera={cameraId} data-state={state.failed ? 'failed' : state.playing ? 'playing' : 'connecting'}>
      <video ref={video} muted autoPlay playsInline aria-label={cameraId} />
      <figcaption>
        <span>{cameraId}</span>
        <span role="status" aria-live="polite">
          {status}
        </span>
        <button type="button" onClick={onClose} aria-label={`${t('close')}: ${cameraId}`}>
          ×
        </button>
      </figcaption>
    </figure>
  );
}

export function LivePage({ cameras, mode }: { cameras: string[]; mode: Mode }) {
  const setMode = (next: string) => go('/live', { cams: cameras.join(','), via: next === 'auto' ? undefined : next });
  const close = (id: string) => go('/live', { cams: cameras.filter((c) => c !== id).join(','), via: mode === 'auto' ? undefined : mode });
  return (
    <>
      <h1>{t('live')}</h1>
      <label class="field inline">
        <span>{t('via')}</span>
        <select value={mode} onChange={(e) => setMode(e.currentTarget.value)}>
          <option value="auto">{t('auto')}</option>
          <option value="webrtc">WebRTC (WHEP)</option>
          <option value="hls">HLS</option>
        </select>
      </label>
      {cameras.length === 0 ? (
        <p>
          {t('noCameraChosen')} <a href={href('/schools')}>{t('schools')}</a>
        </p>
      ) : (
        <div class={`grid grid-${Math.min(cameras.length, 4)}`}>
          {cameras.map((id) => (
            <Tile key={`${id}:${mode}`} cameraId={id} mode={mode} onClose={() => close(id)} />
          ))}
        </div>
      )}
    </>
  );
}
