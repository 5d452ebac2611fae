// A fleet change becomes one branch, one commit and one pull request; proposing the same change again changes nothing.
import { createHash } from 'node:crypto';
import { InputError } from './errors.js';
import { parseFleetTree } from './fleet/tree.js';
import type { FileChange, GitHost, Person, PullRequest } from './hosts/git-host.js';
import { credentialsIn } from './verify/policies/no-credential.js';
import { formatViolation } from './verify/policy.js';

export interface ProposedChange {
  title: string;
  summary: string;
  /** The fleet kind the change is about (Nvr, School, MediaNode, FaceIdDevice). */
  kind: string;
  school?: string;
  files: FileChange[];
  /** The rendered, redacted config diff a reviewer reads. */
  diff: string;
  /** The person who asked for the change; authors the commit so they cannot count as a reviewer. */
  requestedBy?: Person;
}

export interface ProposeResult {
  branch: string;
  pullRequest: PullRequest;
  created: boolean;
  committed: boolean;
}

const SAFE_PATH = /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._\-/]+$/;

export function validateChange(change: ProposedChange): void {
  if (!change.title.trim()) throw new InputError('title: must not be empty');
  if (change.files.length === 0) throw new InputError('files: a change holds at least one file');
  const seen = new Set<string>();
  for (const f of change.files) {
    if (!SAFE_PATH.test(f.path)) throw new InputError(`files: ${f.path} is not a relative path inside the repository`);
    if (seen.has(f.path)) throw new InputError(`files: ${f.path} appears twice`);
    seen.add(f.path);
  }
  const written = new Map(change.files.filter((f) => f.content !== null).map((f) => [f.path, f.content!] as const));
  const credentials = credentialsIn(parseFleetTree(written));
  if (credentials.length > 0) throw new InputError(`files: ${formatViolation(credentials[0]!)}`);
}

/** Same files, same id: the branch name is derived from the change's content. */
export function changeId(change: Pick<ProposedChange, 'files'>): string {
  const hash = createHash('sha256');
  for (const f of [...change.files].sort((a, b) => a.path.localeCompare(b.path))) hash.update(`${f.path}\0${f.content ?? '\0deleted'}\0`);
  return hash.digest('hex').slice(0, 12);
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);

export function branchFor(change: ProposedChange): string {
  return `posbon/${slug(change.school ?? 'fleet')}/${slug(change.kind)}-${changeId(change)}`;
}

export function labelsFor(change: Pick<ProposedChange, 'kind' | 'school'>): string[] {
  return [...(change.school ? [`school/${change.school}`] : []), `kind/${change.kind}`];
}

export function pullRequestBody(change: ProposedChange): string {
  const files = change.files.map((f) => `- \`${f.path}\`${f.content === null ? ' (deleted)' : ''}`).join('\n');
  const fence = change.diff.includes('```') ? '~~~~' : '```';
  return [
    change.summary.trim(),
    '',
    ...(change.requestedBy ? [`Requested by ${change.requestedBy.name} <${change.requestedBy.email}>.`, ''] : []),
    '### Files',
    files,
    '',
    '### Rendered MediaMTX configuration (credentials redacted)',
    `${fence}diff`,
    change.diff.trimEnd() || '(no change to any media node)',
    fence,
    '',
    `<!-- posbon-change: ${changeId(change)} -->`,
  ].join('\n');
}

export async function propose(host: GitHost, change: ProposedChange): Promise<ProposeResult> {
  validateChange(change);
  const branch = branchFor(change);
  const base = await host.defaultBranch();
  if ((await host.branchHead(branch)) === null) await host.createBranch(branch, base);
  const pending: FileChange[] = [];
  for (const f of change.files) if ((await host.readFile(branch, f.path)) !== f.content) pending.push(f);
  if (pending.length > 0) {
    const input: Parameters<GitHost['commitFiles']>[0] = { branch, message: change.title, files: change.files };
    if (change.requestedBy) input.author = change.requestedBy;
    await host.commitFiles(input);
  }
  const { pullRequest, created } = await host.openPullRequest({
    head: branch,
    base,
    title: change.title,
    body: pullRequestBody(change),
    labels: labelsFor(change),
  });
  return { branch, pullRequest, created, committed: pending.length > 0 };
}
