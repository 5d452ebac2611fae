import { useState } from 'preact/hooks';
import { get } from '../api.js';
import { Field, Refusal, Show, useLoad } from '../components.js';
import { formatTime, t } from '../i18n.js';
import { go } from '../route.js';

interface AuditEntry {
  id: string;
  at: string;
  actorType: string;
  actorId: string;
  schoolId: string | null;
  requestId: string | null;
  action: string;
  params: Record<string, unknown>;
  result: string;
}

const PAGE = 50;

export function AuditPage({ query }: { query: URLSearchParams }) {
  const school = query.get('school') ?? '';
  const action = query.get('action') ?? '';
  const [form, setForm] = useState({ school, action });
  const [extra, setExtra] = useState<AuditEntry[]>([]);
  const [error, setError] = useState<unknown>();
  const path = (before?: string) => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (school) q.set('schoolId', school);
    if (action) q.set('action', action);
    if (before) q.set('before', before);
    return `/audit?${q}`;
  };
  const first = useLoad(() => {
    setExtra([]);
    return get<{ items: AuditEntry[] }>(path());
  }, [school, action]);
  const more = async (before: string) => {
    try {
      const page = await get<{ items: AuditEntry[] }>(path(before));
      setExtra((e) => [...e, ...page.items]);
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <>
      <h1>{t('audit')}</h1>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          go('/audit', { school: form.school, action: form.action });
        }}
      >
        <Field label={t('school')}>
          <input value={form.school} onInput={(e) => setForm({ ...form, school: e.currentTarget.value })} />
        </Field>
        <Field label={t('action')}>
          <input value={form.action} onInput={(e) => setForm({ ...form, action: e.currentTarget.value })} />
        </Field>
        <button type="submit">{t('filter')}</button>
      </form>
      <Show loaded={first}>
        {({ items: head }) => {
          const items = [...head, ...extra];
          const last = items[items.length - 1];
          return (
            <>
              {items.length === 0 ? (
                <p>{t('noItems')}</p>
              ) : (
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t('time')}</th>
                      <th scope="col">{t('actor')}</th>
                      <th scope="col">{t('school')}</th>
                      <th scope="col">{t('action')}</th>
                      <th scope="col">{t('result')}</th>
                      <th scope="col">{t('details')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((e) => (
                      <tr key={e.id}>
                        <td>{formatTime(e.at)}</td>
                        <td>
                          {e.actorType}: {e.actorId}
                        </td>
                        <td>{e.schoolId ?? '—'}</td>
                        <td>{e.action}</td>
                        <td class={e.result === 'ok' ? 'ok' : 'bad'}>{e.result}</td>
                        <td>
                          <code>{JSON.stringify(e.params)}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              {last && items.length >= PAGE && (
                <button type="button" onClick={() => void more(last.id)}>
                  {t('more')}
                </button>
              )}
              {error !== undefined && <Refusal error={error} />}
            </>
          );
        }}
      </Show>
    </>
  );
}
