import { get } from '../api.js';
import { Conditions, Show, useLoad, type Condition } from '../components.js';
import { t } from '../i18n.js';
import { href } from '../route.js';
import { can } from '../session.js';

export interface School {
  id: string;
  displayName: string;
  region: string;
  timezone: string;
  networkMode: string;
  mediaNode: string | null;
  allowlistIPs: string[];
  cameraCount: number;
  conditions: Condition[];
}

interface MediaNode {
  id: string;
  region: string;
  egressIPs: string[];
  webrtcBaseUrl: string;
  cordoned: boolean;
  schoolCount: number;
  cameraCount: number;
  maxCameras: number;
  conditions: Condition[];
}

export function SchoolsPage() {
  const schools = useLoad(() => get<{ items: School[] }>('/schools'), []);
  const nodes = useLoad(() => (can('media-node:read') ? get<{ items: MediaNode[] }>('/media-nodes') : Promise.resolve({ items: [] })), []);
  return (
    <>
      <h1>{t('schools')}</h1>
      <Show loaded={schools}>
        {({ items }) =>
          items.length === 0 ? (
            <p>{t('noItems')}</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('school')}</th>
                  <th scope="col">{t('mediaNode')}</th>
                  <th scope="col">{t('allowlist')}</th>
                  <th scope="col">{t('cameras')}</th>
                  <th scope="col">{t('status')}</th>
                </tr>
              </thead>
              <tbody>
                {items.map((s) => (
                  <tr key={s.id}>
                    <th scope="row">
                      <a href={href(`/schools/${s.id}`)}>{s.displayName}</a> <span class="muted">{s.id}</span>
                    </th>
                    <td>{s.mediaNode ?? t('none')}</td>
                    <td>{s.allowlistIPs.length ? s.allowlistIPs.join(', ') : t('none')}</td>
                    <td>{s.cameraCount}</td>
                    <td>
                      <Conditions conditions={s.conditions} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Show>
      {can('media-node:read') && (
        <>
          <h2>{t('mediaNodes')}</h2>
          <Show loaded={nodes}>
            {({ items }) => (
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('mediaNode')}</th>
                    <th scope="col">{t('region')}</th>
                    <th scope="col">{t('allowlist')}</th>
                    <th scope="col">{t('cameras')}</th>
                    <th scope="col">{t('status')}</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((n) => (
                    <tr key={n.id}>
                      <th scope="row">{n.id}</th>
                      <td>{n.region}</td>
                      <td>{n.egressIPs.join(', ')}</td>
                      <td>
                        {n.cameraCount} / {n.maxCameras}
                      </td>
                      <td>
                        <Conditions conditions={n.conditions} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Show>
        </>
      )}
    </>
  );
}
