// Pairing the school's LAN agent: the admin makes a single-use code (shown once, with a QR of the pairing link),
// types it into the agent's page or `posbon-agent pair`, and sees and revokes the agents paired so far.
import { useState } from 'preact/hooks';
import { del, get, post } from '../api.js';
import { Qr, AgentTable, Refusal, Show, useLoad } from '../components.js';
import { formatTime, t } from '../i18n.js';
import { can } from '../session.js';

interface PairingCode {
  code: string;
  schoolId: string;
  expiresAt: string;
}

interface PairedAgent {
  id: string;
  label: string;
  pairedBy: string;
  createdAt: string;
  lastRefreshedAt: string | null;
  revokedAt: string | null;
  revokedReason: string | null;
}

/** What the agent reads from the QR or a pasted line: the API it pairs with and the code. */
export const pairingLink = (code: string): string => `posbon://pair?api=${encodeURIComponent(location.origin)}&code=${code}`;

export function AgentPairing({ schoolId }: { schoolId: string }) {
  const agents = useLoad(() => get<{ items: PairedAgent[] }>(`/schools/${encodeURIComponent(schoolId)}/agents`), [schoolId]);
  const [code, setCode] = useState<PairingCode>();
  const [error, setError] = useState<unknown>();
  const attempt = async (action: () => Promise<void>) => {
    setError(undefined);
    try {
      await action();
    } catch (failure) {
      setError(failure);
    }
  };
  const create = () =>
    attempt(async () => {
      setCode(await post<PairingCode>(`/schools/${encodeURIComponent(schoolId)}/agent-pairing-codes`));
    });
  const revoke = (id: string) =>
    attempt(async () => {
      await del(`/schools/${encodeURIComponent(schoolId)}/agents/${id}`);
      agents.reload();
    });
  return (
    <section class="pairing" aria-labelledby="pairing-title">
      <h2 id="pairing-title">{t('pairing')}</h2>
      <p>{t('pairingIntro')}</p>
      {can('agent-token:write') && (
        <button type="button" class="pair" onClick={() => void create()}>
          {t('pairingCreate')}
        </button>
      )}
      {code && (
        <div class="card once" aria-live="polite">
          <p>{t('pairingOnce', { time: formatTime(code.expiresAt) })}</p>
          <output class="pairing-code" data-code={code.code}>
            {code.code}
          </output>
          <Qr text={pairingLink(code.code)} label={t('pairing')} />
        </div>
      )}
      {error !== undefined && <Refusal error={error} />}
      <Show loaded={agents}>
        {({ items }) => <AgentTable rows={items.map((a) => ({ id: a.id, label: a.label, by: a.pairedBy, at: a.createdAt, lastUsedAt: a.lastRefreshedAt, revoked: a.revokedAt !== null }))} atHeading="pairedAt" onRevoke={(id) => void revoke(id)} class="paired" />}
      </Show>
    </section>
  );
}
