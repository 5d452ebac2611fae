import { useState } from 'preact/hooks';
import { del, get, post } from '../api.js';
import { Field, Qr, AgentTable, Refusal, Show, useLoad } from '../components.js';
import { t } from '../i18n.js';
import { href } from '../route.js';
import { can } from '../session.js';
import { AgentPairing } from './agent-pairing.js';
import type { School } from './schools.js';

interface AgentToken {
  id: string;
  label: string;
  issuedBy: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** What the school's computer needs to run the agent: the API's address and the token, as shell lines. */
const agentSetup = (token: string) => `POSBON_API_URL=${location.origin}\nPOSBON_AGENT_TOKEN=${token}`;

export function AgentSchoolsPage() {
  const schools = useLoad(() => get<{ items: School[] }>('/schools'), []);
  return (
    <>
      <h1>{t('agents')}</h1>
      <p>{t('agentIntro')}</p>
      <Show loaded={schools}>
        {({ items }) => (
          <ul>
            {items.map((s) => (
              <li key={s.id}>
                <a href={href(`/schools/${s.id}/agents`)}>{s.displayName}</a>
              </li>
            ))}
          </ul>
        )}
      </Show>
    </>
  );
}

export function AgentsPage({ schoolId }: { schoolId: string }) {
  const tokens = useLoad(() => get<{ items: AgentToken[] }>(`/schools/${encodeURIComponent(schoolId)}/agent-tokens`), [schoolId]);
  const [label, setLabel] = useState('');
  const [hours, setHours] = useState('8');
  const [issued, setIssued] = useState<string>();
  const [error, setError] = useState<unknown>();
  const issue = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    try {
      const out = await post<{ token: string }>(`/schools/${encodeURIComponent(schoolId)}/agent-tokens`, { label, ttlHours: Number(hours) });
      setIssued(out.token);
      tokens.reload();
    } catch (failure) {
      setError(failure);
    }
  };
  const revoke = async (id: string) => {
    setError(undefined);
    try {
      await del(`/schools/${encodeURIComponent(schoolId)}/agent-tokens/${id}`);
      tokens.reload();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <>
      <h1>
        {t('agents')} — {schoolId}
      </h1>
      <AgentPairing schoolId={schoolId} />
      <h2>{t('agentTokens')}</h2>
      <p>{t('agentIntro')}</p>
      {can('agent-token:write') && (
        <form class="row" onSubmit={(e) => void issue(e)}>
          <Field label={t('label')}>
            <input required maxLength={80} value={label} onInput={(e) => setLabel(e.currentTarget.value)} />
          </Field>
          <Field label={t('hours')}>
            <input type="number" min={1} max={24} required value={hours} onInput={(e) => setHours(e.currentTarget.value)} />
          </Field>
          <button type="submit">{t('issue')}</button>
        </form>
      )}
      {issued && (
        <section class="card once" aria-live="polite">
          <p>{t('issuedOnce')}</p>
          <pre>{agentSetup(issued)}</pre>
          <Qr text={agentSetup(issued)} label={t('agents')} />
        </section>
      )}
      {error !== undefined && <Refusal error={error} />}
      <Show loaded={tokens}>
        {({ items }) => <AgentTable rows={items.map((a) => ({ id: a.id, label: a.label, by: a.issuedBy, at: a.expiresAt, lastUsedAt: a.lastUsedAt, revoked: a.revokedAt !== null }))} atHeading="expires" onRevoke={(id) => void revoke(id)} />}
      </Show>
    </>
  );
}
