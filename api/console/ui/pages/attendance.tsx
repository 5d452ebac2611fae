import { useState } from 'preact/hooks';
import { get } from '../api.js';
import { Field, Show, useLoad } from '../components.js';
import { formatTime, t } from '../i18n.js';
import { go, href } from '../route.js';
import type { School } from './schools.js';

interface AttendanceEvent {
  personId: string;
  direction: 'in' | 'out';
  occurredAt: string;
  deviceId: string;
  late: boolean;
}

const today = () => new Date().toISOString().slice(0, 10);

function Events({ events, school }: { events: AttendanceEvent[]; school: string }) {
  if (events.length === 0) return <p>{t('noItems')}</p>;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">{t('time')}</th>
          <th scope="col">{t('pupil')}</th>
          <th scope="col">{t('direction')}</th>
          <th scope="col">{t('device')}</th>
          <th scope="col">{t('late')}</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => (
          <tr key={`${e.personId}-${e.occurredAt}-${e.deviceId}`}>
            <td>{formatTime(e.occurredAt)}</td>
            <td>
              <a href={href('/attendance', { school, person: e.personId })}>{e.personId}</a>
            </td>
            <td>{t(e.direction)}</td>
            <td>{e.deviceId}</td>
            <td>{e.late ? t('yes') : t('no')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function AttendancePage({ query }: { query: URLSearchParams }) {
  const schools = useLoad(() => get<{ items: School[] }>('/schools'), []);
  const school = query.get('school') || '';
  const person = query.get('person') || '';
  const day = query.get('day') || today();
  const from = query.get('from') || `${today().slice(0, 8)}01T00:00:00Z`;
  const to = query.get('to') || new Date(Date.now() + 86_400_000).toISOString();
  const [form, setForm] = useState({ school, person, day });
  const events = useLoad<{ events: AttendanceEvent[] } | null>(() => {
    if (!school) return Promise.resolve(null);
    const base = `/attendance/schools/${encodeURIComponent(school)}`;
    return person
      ? get(`${base}/pupils/${encodeURIComponent(person)}?${new URLSearchParams({ from, to })}`)
      : get(`${base}/days/${encodeURIComponent(day)}`);
  }, [school, person, day, from, to]);
  const submit = (event: Event) => {
    event.preventDefault();
    go('/attendance', { school: form.school, person: form.person || undefined, day: form.person ? undefined : form.day });
  };
  return (
    <>
      <h1>{t('attendance')}</h1>
      <Show loaded={schools}>
        {({ items }) => (
          <form class="row" onSubmit={submit}>
            <Field label={t('school')}>
              <select value={form.school} onChange={(e) => setForm({ ...form, school: e.currentTarget.value })}>
                <option value="">—</option>
                {items.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.displayName}
                  </option>
                ))}
              </select>
            </Field>
            <Field label={t('day')}>
              <input type="date" value={form.day} onInput={(e) => setForm({ ...form, day: e.currentTarget.value })} />
            </Field>
            <Field label={t('pupil')}>
              <input value={form.person} onInput={(e) => setForm({ ...form, person: e.currentTarget.value })} />
            </Field>
            <button type="submit">{t('show')}</button>
          </form>
        )}
      </Show>
      {school && (
        <>
          <h2>{person ? `${t('byPupil')}: ${person}` : `${t('byDay')}: ${day}`}</h2>
          <Show loaded={events}>{(data) => <Events events={data?.events ?? []} school={school} />}</Show>
        </>
      )}
    </>
  );
}
