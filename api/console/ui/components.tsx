// Pieces every page uses: loading state, the API's refusal shown as it came, conditions in words, a QR code.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiRefusal } from './api.js';
import { formatTime, known, t } from './i18n.js';
import { can } from './session.js';

export interface Loaded<T> {
  data?: T;
  error?: unknown;
  reload(): void;
}

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown }>({});
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState({});
    load().then(
      (data) => live && setState({ data }),
      (error: unknown) => live && setState({ error }),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  return { ...state, reload: () => setRound((n) => n + 1) };
}

export function Refusal({ error }: { error: unknown }) {
  if (error instanceof ApiRefusal) {
    return (
      <div role="alert" class="refusal">
        <p>{t('refused', { status: error.status, message: error.message })}</p>
        {error.requestId && (
          <p class="muted">
            {t('requestId')}: <code>{error.requestId}</code>
          </p>
        )}
      </div>
    );
  }
  return (
    <div role="alert" class="refusal">
      <p>{error instanceof Error ? error.message : String(error)}</p>
    </div>
  );
}

/** Renders a load: its refusal, a spinner line, or the children given the data. */
export function Show<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (loaded.error !== undefined) return <Refusal error={loaded.error} />;
  if (loaded.data === undefined) return <p aria-busy="true">{t('loading')}</p>;
  return <>{children(loaded.data)}</>;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export function conditionWords(c: Condition): string {
  const state = `cond.${c.type}.${c.status}`;
  const head = known(state) ? t(state) : `${c.type}: ${c.status}`;
  const reason = `reason.${c.reason}`;
  return known(reason) ? `${head}. ${t(reason)}.` : `${head}. ${c.message}`;
}

export function Conditions({ conditions }: { conditions: Condition[] }) {
  if (conditions.length === 0) return <span class="muted">{t('noStatusYet')}</span>;
  return (
    <ul class="conditions">
      {conditions.map((c) => (
        <li key={c.type} class={c.status === 'True' ? 'ok' : c.status === 'False' ? 'bad' : 'unknown'} title={c.message}>
          {conditionWords(c)}
        </li>
      ))}
    </ul>
  );
}

export function probeWords(reason: string): string {
  const id = `probe.${reason}`;
  return known(id) ? t(id) : reason;
}

/** A QR code drawn as SVG by the qrcode package, loaded only on the pages that show one. */
export function Qr({ text, label }: { text: string; label: string }) {
  const [svg, setSvg] = useState<string>();
  useEffect(() => {
    let live = true;
    void import('qrcode').then((qr) => qr.toString(text, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' })).then((out) => live && setSvg(out));
    return () => {
      live = false;
    };
  }, [text]);
  return <div class="qr" role="img" aria-label={label} dangerouslySetInnerHTML={{ __html: svg ?? '' }} />;
}

export const Field = ({ label, children }: { label: string; children: ComponentChildren }) => (
  <label class="field">
    <span>{label}</span>
    {children}
  </label>
);

export interface AgentRow {
  id: string;
  label: string;
  by: string;
  /** When it expires (issued tokens) or was paired (paired agents). */
  at: string;
  lastUsedAt: string | null;
  revoked: boolean;
}

/** A school's agents, issued tokens and paired agents alike: who made each, when, its last use, and its revoke cell. */
export function AgentTable({ rows, atHeading, onRevoke, class: className }: { rows: AgentRow[]; atHeading: 'expires' | 'pairedAt'; onRevoke: (id: string) => void; class?: string }) {
  if (rows.length === 0) return <p>{t('noItems')}</p>;
  return (
    <table class={className}>
      <thead>
        <tr>
          <th scope="col">{t('label')}</th>
          <th scope="col">{t('issuedBy')}</th>
          <th scope="col">{t(atHeading)}</th>
          <th scope="col">{t('lastUsed')}</th>
          <th scope="col">{t('status')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((a) => (
          <tr key={a.id} data-agent={a.id}>
            <td>{a.label}</td>
            <td>{a.by}</td>
            <td>{formatTime(a.at)}</td>
            <td>{a.lastUsedAt ? formatTime(a.lastUsedAt) : '—'}</td>
            <RevokeCell label={a.label} revoked={a.revoked} onRevoke={() => onRevoke(a.id)} />
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The last cell of an agent's row: revoked, a revoke button for those who may, or nothing. */
export function RevokeCell({ label, revoked, onRevoke }: { label: string; revoked: boolean; onRevoke: () => void }) {
  return (
    <td>
      {revoked ? (
        t('revoked')
      ) : can('agent-token:write') ? (
        <button type="button" onClick={onRevoke} aria-label={`${t('revoke')}: ${label}`}>
          {t('revoke')}
        </button>
      ) : (
        '—'
      )}
    </td>
  );
}
