import { useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { Field, Refusal, Show, useLoad } from '../components.js';
import { formatTime, t } from '../i18n.js';
import { ROLES } from '../../../admin/access.js';

interface Account {
  id: string;
  username: string;
  role: string;
  schools: string[];
  totpEnrolled: boolean;
  mustEnrolTotp: boolean;
  throttledUntil: string | null;
}

interface Created {
  account: Account;
  initialPassword: string;
}

export function AccountsPage() {
  const accounts = useLoad(() => get<{ items: Account[] }>('/accounts'), []);
  const [form, setForm] = useState({ username: '', role: 'VIEWER', schools: '' });
  const [created, setCreated] = useState<Created>();
  const [error, setError] = useState<unknown>();
  const create = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      const schools = form.schools.split(',').map((s) => s.trim()).filter(Boolean);
      setCreated(await post<Created>('/accounts', { username: form.username, role: form.role, schools }));
      accounts.reload();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <>
      <h1>{t('accounts')}</h1>
      <Show loaded={accounts}>
        {({ items }) => (
          <table>
            <thead>
              <tr>
                <th scope="col">{t('username')}</th>
                <th scope="col">{t('role')}</th>
                <th scope="col">{t('schools')}</th>
                <th scope="col">{t('twoFactor')}</th>
                <th scope="col">{t('locked')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id}>
                  <td>{a.username}</td>
                  <td>{a.role}</td>
                  <td>{a.schools.join(', ') || t('all')}</td>
                  <td>{a.totpEnrolled ? t('yes') : t('no')}</td>
                  <td>{a.throttledUntil ? formatTime(a.throttledUntil) : t('no')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Show>
      <h2>{t('newAccount')}</h2>
      <form class="row" onSubmit={(e) => void create(e)}>
        <Field label={t('username')}>
          <input required value={form.username} onInput={(e) => setForm({ ...form, username: e.currentTarget.value })} />
        </Field>
        <Field label={t('role')}>
          <select value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value })}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('schoolsCsv')}>
          <input value={form.schools} onInput={(e) => setForm({ ...form, schools: e.currentTarget.value })} />
        </Field>
        <button type="submit">{t('create')}</button>
      </form>
      {error !== undefined && <Refusal error={error} />}
      {created && (
        <section class="card once" aria-live="polite">
          <p>{t('createdOnce')}</p>
          <dl class="facts">
            <dt>{t('username')}</dt>
            <dd>{created.account.username}</dd>
            <dt>{t('password')}</dt>
            <dd>
              <code data-secret="initial-password">{created.initialPassword}</code>
            </dd>
          </dl>
          {created.account.mustEnrolTotp && <p>{t('enrolAtLogin')}</p>}
        </section>
      )}
    </>
  );
}
