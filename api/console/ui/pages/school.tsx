import { useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { Conditions, probeWords, Refusal, Show, useLoad, type Condition } from '../components.js';
import { formatTime, t } from '../i18n.js';
import { go, href } from '../route.js';
import { can } from '../session.js';
import type { School } from './schools.js';

interface Camera {
  id: string;
  name: string;
  path: string;
  codec: string | null;
}

interface Nvr {
  id: string;
  vendor: string;
  publicHost: string;
  publicRtspPort: number;
  mediaNode: string | null;
  reachability: { reachable: boolean; reason: string; node: string; checkedAt: string } | null;
  conditions: Condition[];
  cameras: Camera[];
}

function ConnectionTest({ nvr }: { nvr: Nvr }) {
  const [result, setResult] = useState<{ reason: string }>();
  const [error, setError] = useState<unknown>();
  const run = async () => {
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await post<{ reason: string }>(`/nvrs/${nvr.id}/test-connection`, { kind: 'rtsp' }));
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <div class="inline">
      <button type="button" onClick={() => void run()}>
        {t('testConnection')}
      </button>
      <span aria-live="polite">{result && probeWords(result.reason)}</span>
      {error !== undefined && <Refusal error={error} />}
    </div>
  );
}

export function SchoolPage({ schoolId }: { schoolId: string }) {
  const school = useLoad(() => get<School>(`/schools/${encodeURIComponent(schoolId)}`), [schoolId]);
  const nvrs = useLoad(() => get<{ items: Nvr[] }>(`/schools/${encodeURIComponent(schoolId)}/nvrs`), [schoolId]);
  const [chosen, setChosen] = useState<string[]>([]);
  const toggle = (id: string) => setChosen((list) => (list.includes(id) ? list.filter((c) => c !== id) : [...list, id]));
  return (
    <Show loaded={school}>
      {(s) => (
        <>
          <h1>
            {s.displayName} <span class="muted">{s.id}</span>
          </h1>
          <dl class="facts">
            <dt>{t('mediaNode')}</dt>
            <dd>{s.mediaNode ?? t('none')}</dd>
            <dt>{t('allowlist')}</dt>
            <dd>{s.allowlistIPs.join(', ') || t('none')}</dd>
            <dt>{t('status')}</dt>
            <dd>
              <Conditions conditions={s.conditions} />
            </dd>
          </dl>
          <p class="links">
            {can('attendance:read') && <a href={href('/attendance', { school: s.id })}>{t('attendance')}</a>}
            {can('agent-token:read') && <a href={href(`/schools/${s.id}/agents`)}>{t('agents')}</a>}
            {can('audit:read') && <a href={href('/audit', { school: s.id })}>{t('audit')}</a>}
          </p>
          <h2>{t('nvrs')}</h2>
          <Show loaded={nvrs}>
            {({ items }) => (
              <>
                {items.length === 0 && <p>{t('noItems')}</p>}
                {items.map((nvr) => (
                  <section key={nvr.id} class="card" aria-labelledby={`nvr-${nvr.id}`}>
                    <h3 id={`nvr-${nvr.id}`}>{nvr.id}</h3>
                    <dl class="facts">
                      <dt>{t('vendor')}</dt>
                      <dd>{nvr.vendor}</dd>
                      <dt>{t('address')}</dt>
                      <dd>
                        {nvr.publicHost}:{nvr.publicRtspPort}
                      </dd>
                      <dt>{t('reachability')}</dt>
                      <dd>
                        {nvr.reachability ? `${probeWords(nvr.reachability.reason)} (${nvr.reachability.node}, ${formatTime(nvr.reachability.checkedAt)})` : t('notChecked')}
                      </dd>
                      <dt>{t('status')}</dt>
                      <dd>
                        <Conditions conditions={nvr.conditions} />
                      </dd>
                    </dl>
                    {can('nvr:test') && <ConnectionTest nvr={nvr} />}
                    <h4>{t('cameras')}</h4>
                    <ul class="cameras">
                      {nvr.cameras.map((c) => (
                        <li key={c.id}>
                          {can('stream:watch') && (
                            <input type="checkbox" id={`pick-${c.id}`} checked={chosen.includes(c.id)} onChange={() => toggle(c.id)} aria-label={t('select', { name: c.name })} />
                          )}
                          <span class="camera-name">{c.name}</span> <span class="muted">{c.codec ?? ''}</span>
                          {can('stream:watch') && (
                            <a class="button" href={href('/live', { cams: c.id })} data-camera={c.id}>
                              {t('watch')}
                            </a>
                          )}
                        </li>
                      ))}
                    </ul>
                  </section>
                ))}
                {can('stream:watch') && chosen.length > 0 && (
                  <button type="button" onClick={() => go('/live', { cams: chosen.join(',') })}>
                    {t('watchSelected')} ({chosen.length})
                  </button>
                )}
              </>
            )}
          </Show>
        </>
      )}
    </Show>
  );
}
