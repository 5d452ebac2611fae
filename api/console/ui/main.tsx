// The console: a shell (skip link, menu, language, sign-out) around one page chosen by the address after the #.
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import type { Action } from '../../admin/access.js';
import { get, logout, resume, whenSignedOut } from './api.js';
import { language, LANGUAGES, setLanguage, t, type Language, type MessageId } from './i18n.js';
import { AccountsPage } from './pages/accounts.js';
import { AgentSchoolsPage, AgentsPage } from './pages/agents.js';
import { AttendancePage } from './pages/attendance.js';
import { AuditPage } from './pages/audit.js';
import { PasswordPage, TotpEnrolmentPage } from './pages/credentials.js';
import { LivePage } from './pages/live.js';
import { LoginPage } from './pages/login.js';
import { ProposalsPage } from './pages/proposals.js';
import { SchoolPage } from './pages/school.js';
import { SchoolsPage } from './pages/schools.js';
import type { Mode } from './player.js';
import { go, href, route } from './route.js';
import { can, me, type Me } from './session.js';
import { useSignal } from './state.js';

const MENU: { path: string; label: MessageId; action: Action }[] = [
  { path: '/schools', label: 'schools', action: 'school:read' },
  { path: '/live', label: 'live', action: 'stream:watch' },
  { path: '/proposals', label: 'proposals', action: 'proposal:read' },
  { path: '/attendance', label: 'attendance', action: 'attendance:read' },
  { path: '/audit', label: 'audit', action: 'audit:read' },
  { path: '/agents', label: 'agents', action: 'agent-token:read' },
  { path: '/accounts', label: 'accounts', action: 'account:read' },
];

const LANGUAGE_NAMES: Record<Language, string> = { uz: 'O‘zbekcha', ru: 'Русский', en: 'English' };

function LanguagePicker() {
  return (
    <label class="field inline">
      <span>{t('language')}</span>
      <select value={language.get()} onChange={(e) => setLanguage(e.currentTarget.value as Language)}>
        {LANGUAGES.map((l) => (
          <option key={l} value={l} lang={l}>
            {LANGUAGE_NAMES[l]}
          </option>
        ))}
      </select>
    </label>
  );
}

function Page() {
  const { parts, query } = useSignal(route);
  const [first = 'schools', second, third] = parts;
  if (first === 'schools' && second && third === 'agents') return <AgentsPage schoolId={second} />;
  if (first === 'schools' && second) return <SchoolPage schoolId={second} />;
  if (first === 'schools') return <SchoolsPage />;
  if (first === 'live') {
    const cams = (query.get('cams') ?? '').split(',').filter(Boolean);
    const via = query.get('via');
    return <LivePage cameras={cams} mode={(via === 'webrtc' || via === 'hls' ? via : 'auto') as Mode} />;
  }
  if (first === 'proposals') return <ProposalsPage schoolId={query.get('school') ?? undefined} />;
  if (first === 'attendance') return <AttendancePage query={query} />;
  if (first === 'audit') return <AuditPage query={query} />;
  if (first === 'agents') return <AgentSchoolsPage />;
  if (first === 'accounts') return <AccountsPage />;
  if (first === 'password') return <PasswordPage forced={false} />;
  return <h1>{t('notFound')}</h1>;
}

function App() {
  useSignal(language);
  const current = useSignal(me);
  const { parts } = useSignal(route);
  useEffect(() => {
    document.documentElement.lang = language.get();
  });
  if (current === undefined) return <p aria-busy="true">{t('loading')}</p>;
  if (current === null || parts[0] === 'login') {
    return (
      <>
        <header class="top">
          <span class="brand">{t('appName')}</span>
          <LanguagePicker />
        </header>
        <LoginPage />
      </>
    );
  }
  // A generated password or a missing second factor opens nothing else until it is dealt with, as in the API.
  const pending = current.mustChangePassword ? <PasswordPage forced /> : current.mustEnrolTotp ? <TotpEnrolmentPage /> : undefined;
  const active = `/${parts[0] ?? 'schools'}`;
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        {t('skip')}
      </a>
      <header class="top">
        <a class="brand" href={href('/schools')}>
          {t('appName')}
        </a>
        <nav aria-label={t('mainNav')}>
          <ul>
            {MENU.filter((m) => !pending && can(m.action)).map((m) => (
              <li key={m.path}>
                <a href={href(m.path)} aria-current={active === m.path ? 'page' : undefined}>
                  {t(m.label)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <LanguagePicker />
        <span class="who">{t('signedInAs', { user: current.username, role: current.role })}</span>
        {!pending && <a href={href('/password')}>{t('changePassword')}</a>}
        <button
          type="button"
          onClick={() =>
            void logout().then(() => {
              me.set(null);
              go('/login');
            })
          }
        >
          {t('logout')}
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {pending ?? <Page />}
      </main>
    </>
  );
}

whenSignedOut(() => me.set(null));
document.documentElement.lang = language.get();
render(<App />, document.getElementById('app')!);
void (async () => {
  me.set((await resume()) ? await get<Me>('/me').catch(() => null) : null);
})();
