import { useState } from 'preact/hooks';
import { get } from '../api.js';
import { Refusal, Show, useLoad } from '../components.js';
import { t } from '../i18n.js';
import { me, scoped } from '../session.js';

interface OpenProposal {
  number: number;
  title: string;
  url: string;
  author: string;
  requestedBy: string | null;
  school: string | null;
  kind: string | null;
  labels: string[];
  approvals: { required: number; approvers: string[]; discounted: { reviewer: string; why: string }[]; blocking: string[]; satisfied: boolean };
}

interface Detail extends OpenProposal {
  diffStat: { file: string; added: number; removed: number }[];
  diff: string | null;
}

/** A unified diff's lines, marked for colour and for screen readers alike. */
function DiffText({ diff }: { diff: string }) {
  const lines = diff.replace(/\n$/, '').split('\n');
  return (
    <pre class="diff" tabIndex={0} aria-label={t('renderedDiff')}>
      {lines.map((line, i) => {
        const kind = line.startsWith('+++') || line.startsWith('---') ? 'file' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : line.startsWith('@@') ? 'hunk' : 'ctx';
        return (
          <span key={i} class={kind}>
            {line}
            {'\n'}
          </span>
        );
      })}
    </pre>
  );
}

/** What the proposal changes in the rendered MediaMTX configs, loaded when the reviewer opens it. */
function Changes({ number }: { number: number }) {
  const [open, setOpen] = useState(false);
  return (
    <details class="changes" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>{t('renderedChanges')}</summary>
      {open && <ChangesBody number={number} />}
    </details>
  );
}

function ChangesBody({ number }: { number: number }) {
  const detail = useLoad(() => get<Detail>(`/proposals/${number}`), [number]);
  return (
    <Show loaded={detail}>
      {(d) => (
        <>
          {d.diffStat.length === 0 ? (
            <p>{t('noRenderedChanges')}</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('file')}</th>
                  <th scope="col">{t('linesAdded')}</th>
                  <th scope="col">{t('linesRemoved')}</th>
                </tr>
              </thead>
              <tbody>
                {d.diffStat.map((f) => (
                  <tr key={f.file}>
                    <td>
                      <code>{f.file}</code>
                    </td>
                    <td class="ok">+{f.added}</td>
                    <td class="bad">−{f.removed}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {d.diff === null ? <p class="muted">{t('diffInGit')}</p> : d.diff !== '' && <DiffText diff={d.diff} />}
        </>
      )}
    </Show>
  );
}

interface Page {
  items: OpenProposal[];
  next: number | null;
}

export function ProposalsPage({ schoolId }: { schoolId: string | undefined }) {
  const [pages, setPages] = useState<Page[]>([]);
  const [error, setError] = useState<unknown>();
  const query = (before?: number) => {
    const q = new URLSearchParams({ limit: '25' });
    const school = schoolId ?? (scoped() ? me.get()?.schools[0] : undefined);
    if (school) q.set('schoolId', school);
    if (before) q.set('before', String(before));
    return `/proposals?${q}`;
  };
  const first = useLoad(() => get<Page>(query()), [schoolId]);
  const more = async (before: number) => {
    try {
      const page = await get<Page>(query(before));
      setPages((p) => [...p, page]);
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <>
      <h1>{t('proposals')}</h1>
      <Show loaded={first}>
        {(page) => {
          const all = [page, ...pages];
          const items = all.flatMap((p) => p.items);
          const next = all[all.length - 1]!.next;
          return (
            <>
              {items.length === 0 && <p>{t('noItems')}</p>}
              {items.map((p) => (
                <section key={p.number} class="card" aria-labelledby={`pr-${p.number}`}>
                  <h2 id={`pr-${p.number}`}>
                    #{p.number} {p.title}
                  </h2>
                  <dl class="facts">
                    <dt>{t('school')}</dt>
                    <dd>{p.school ?? t('none')}</dd>
                    <dt>{t('requestedBy')}</dt>
                    <dd>{p.requestedBy ?? p.author}</dd>
                    <dt>{t('approvals')}</dt>
                    <dd>
                      <span class={p.approvals.satisfied ? 'ok' : 'bad'}>
                        {p.approvals.satisfied ? t('satisfied') : t('notSatisfied')} — {t('approvalsOf', { n: p.approvals.approvers.length, required: p.approvals.required })}
                      </span>
                      {p.approvals.approvers.length > 0 && <span> ({p.approvals.approvers.join(', ')})</span>}
                      {p.approvals.blocking.length > 0 && (
                        <ul>
                          {p.approvals.blocking.map((b) => (
                            <li key={b}>{b}</li>
                          ))}
                        </ul>
                      )}
                    </dd>
                  </dl>
                  <Changes number={p.number} />
                  <a href={p.url} rel="noreferrer" target="_blank">
                    {t('openInGit')}
                  </a>
                </section>
              ))}
              {next !== null && (
                <button type="button" onClick={() => void more(next)}>
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
