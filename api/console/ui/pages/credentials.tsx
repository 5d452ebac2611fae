// First login: replace the generated password, then, where the role needs one, enrol a second factor by QR code.
import { useEffect, useState } from 'preact/hooks';
import { get, post, scheduleRenewal, type Tokens } from '../api.js';
import { Field, Qr, Refusal } from '../components.js';
import { t } from '../i18n.js';
import { go } from '../route.js';
import { me, type Me } from '../session.js';

/** After a change that starts a new session: renew on its schedule and re-read who is signed in. */
async function startOver(tokens: Tokens): Promise<void> {
  scheduleRenewal(tokens);
  const next = await get<Me>('/me');
  me.set(next);
  if (!next.mustChangePassword && !next.mustEnrolTotp) go('/schools');
}

export function PasswordPage({ forced }: { forced: boolean }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const mismatch = repeat.length > 0 && repeat !== next;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (mismatch) return;
    setBusy(true);
    setError(undefined);
    try {
      await startOver(await post<Tokens>('/auth/password', { currentPassword: current, newPassword: next }));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="password-title">
      <h1 id="password-title">{t('changePassword')}</h1>
      {forced && <p>{t('changePasswordForced')}</p>}
      <form onSubmit={(e) => void submit(e)}>
        <Field label={t('currentPassword')}>
          <input name="currentPassword" type="password" autoComplete="current-password" required value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
        </Field>
        <Field label={t('newPassword')}>
          <input
            name="newPassword"
            type="password"
            autoComplete="new-password"
            required
            minLength={12}
            aria-describedby="new-password-hint"
            value={next}
            onInput={(e) => setNext(e.currentTarget.value)}
          />
        </Field>
        <p id="new-password-hint" class="muted">
          {t('newPasswordHint')}
        </p>
        <Field label={t('repeatPassword')}>
          <input
            name="repeatPassword"
            type="password"
            autoComplete="new-password"
            required
            aria-invalid={mismatch}
            aria-describedby={mismatch ? 'repeat-hint' : undefined}
            value={repeat}
            onInput={(e) => setRepeat(e.currentTarget.value)}
          />
        </Field>
        {mismatch && (
          <p id="repeat-hint" class="bad" role="alert">
            {t('passwordsDiffer')}
          </p>
        )}
        <button type="submit" disabled={busy || mismatch}>
          {t('changePassword')}
        </button>
      </form>
      {error !== undefined && <Refusal error={error} />}
    </section>
  );
}

/** The otpauth URI's secret, for typing into an authenticator that cannot scan. */
const secretOf = (uri: string): string => new URL(uri).searchParams.get('secret') ?? '';

export function TotpEnrolmentPage() {
  const [uri, setUri] = useState<string>();
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const offer = async () => {
    setError(undefined);
    try {
      setUri((await post<{ totpUri: string }>('/auth/totp/enrolment')).totpUri);
    } catch (failure) {
      setError(failure);
    }
  };
  useEffect(() => void offer(), []);

  const confirm = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await startOver(await post<Tokens>('/auth/totp/enrolment/confirm', { code: code.trim() }));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="totp-title">
      <h1 id="totp-title">{t('enrolTitle')}</h1>
      <p>{t('enrolSteps')}</p>
      {uri && (
        <>
          <Qr text={uri} label={t('enrolQr')} />
          <p>
            {t('enrolManual')} <code data-secret="totp-secret">{secretOf(uri)}</code>
          </p>
        </>
      )}
      <form onSubmit={(e) => void confirm(e)}>
        <Field label={t('totp')}>
          <input
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]{6}"
            maxLength={6}
            required
            value={code}
            onInput={(e) => setCode(e.currentTarget.value)}
          />
        </Field>
        <button type="submit" disabled={busy || !uri}>
          {t('enrolConfirm')}
        </button>
        <button type="button" onClick={() => void offer()}>
          {t('enrolAgain')}
        </button>
      </form>
      {error !== undefined && <Refusal error={error} />}
    </section>
  );
}
