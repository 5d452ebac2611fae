import { useState } from 'preact/hooks';
import { get, login } from '../api.js';
import { Field, Refusal } from '../components.js';
import { t } from '../i18n.js';
import { go } from '../route.js';
import { me, type Me } from '../session.js';

export function LoginPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await login(username.trim(), password, totp.trim() || undefined);
      me.set(await get<Me>('/me'));
      go('/schools');
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="login">
      <h1>{t('login')}</h1>
      <form onSubmit={(e) => void submit(e)}>
        <Field label={t('username')}>
          <input name="username" autoComplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </Field>
        <Field label={t('password')}>
          <input name="password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
        <Field label={t('totp')}>
          <input
            name="totp"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]{6}"
            maxLength={6}
            aria-describedby="totp-hint"
            value={totp}
            onInput={(e) => setTotp(e.currentTarget.value)}
          />
        </Field>
        <p id="totp-hint" class="muted">
          {t('totpHint')}
        </p>
        <button type="submit" disabled={busy}>
          {t('login')}
        </button>
      </form>
      {error !== undefined && <Refusal error={error} />}
    </main>
  );
}
