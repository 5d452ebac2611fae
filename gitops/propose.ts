// A fleet change becomes one branch, one commit and one pull request; proposing the same change again changes nothing.
import { createHash } from 'node:crypto';
import { InputError, PolicyViolationError } from '../lib/errors/index.js';
import { isPosbonObject } from './fleet-repo/model.js';
import { parseFleetTree, resourceId, type FleetTree } from './fleet-repo/tree.js';
import type { FileChange, GitHost, Person, PullRequest } from './hosts/git-host.js';
import { renderDiff } from './render/diff.js';
import { renderValidFleet } from './render/render.js';
import { validateAny } from '../crds/index.js';
import { FLEET_POLICIES } from './verify/policies/index.js';
import { credentialsIn } from './verify/policies/no-credential.js';
import { formatViolation, runPolicies, type Violation } from './verify/policy.js';
import { PROPOSAL_BRANCH_PREFIX, requestedByTrailer } from './verify/two-person-rule.js';

export interface ProposedChange {
  title: string;
  summary: string;
  /** The fleet kind the change is about (Nvr, School, MediaNode, FaceIdDevice). */
  kind: string;
  school?: string;
  files: FileChange[];
  /** The rendered, redacted config diff a reviewer reads; computed from the base branch and the files when absent. */
  diff?: string;
  /** The person who asked for the change; authors the commit so they cannot count as a reviewer. */
  requestedBy?: Person;
}

export interface ProposeResult {
  branch: string;
  pullRequest: PullRequest;
  created: boolean;
  committed: boolean;
  /** The diff the pull request shows. */
  diff: string;
}

const SAFE_PATH = /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._\-/]+$/;

/** Checks a change on its own, before any call to the host: paths, the schema of every object it writes, no credential. */
export function validateChange(change: ProposedChange): void {
  if (!change.title.trim()) throw new InputError('title', 'must not be empty');
  if (change.files.length === 0) throw new InputError('files', 'a change holds at least one file');
  const seen = new Set<string>();
  for (const f of change.files) {
    if (!SAFE_PATH.test(f.path)) throw new InputError('files', `${f.path} is not a relative path inside the repository`);
    if (seen.has(f.path)) throw new InputError('files', `${f.path} appears twice`);
    seen.add(f.path);
  }
  const written = parseFleetTree(new Map(change.files.filter((f) => f.content !== null).map((f) => [f.path, f.content!] as const)));
  const unreadable = written.parseErrors[0];
  if (unreadable) throw new InputError('files', `${unreadable.path}: ${unreadable.message}`);
  const credentials = credentialsIn(written);
  if (credentials.length > 0) throw new PolicyViolationError('files', formatViolation(credentials[0]!));
  for (const r of written.resources.filter(isPosbonObject)) {
    const result = validateAny(r.object);
    if (!result.ok) throw new InputError('files', `${r.path} ${resourceId(r)}: ${result.errors[0]!.field}: ${result.errors[0]!.message}`);
  }
}

/** Same files, same id: the branch name is derived from the change's content. */
export function changeId(change: Pick<ProposedChange, 'files'>): string {
  const hash = createHash('sha256');
  for (const f of [...change.files].sort((a, b) => a.path.localeCompare(b.path))) hash.update(`${f.path}\0${f.content ?? '\0deleted'}\0`);
  return hash.digest('hex').slice(0, 12);
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);

export function branchFor(change: ProposedChange): string {
  return `${PROPOSAL_BRANCH_PREFIX}${slug(change.school ?? 'fleet')}/${slug(change.kind)}-${changeId(change)}`;
}

export function labelsFor(change: Pick<ProposedChange, 'kind' | 'school'>): string[] {
  return [...(change.school ? [`school/${change.school}`] : []), `kind/${change.kind}`];
}

export function pullRequestBody(change: ProposedChange & { diff: string }): string {
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

/** The unified diff in a pull request body made by pullRequestBody, as it was rendered. */
export function diffInBody(body: string): string | null {
  const m = /### Rendered MediaMTX configuration \(credentials redacted\)\n(```|~~~~)diff\n([\s\S]*?)\n\1\n/.exec(body);
  if (!m) return null;
  return m[2] === '(no change to any media node)' ? '' : `${m[2]}\n`;
}

/** Files the fleet consists of: YAML anywhere but in dot folders (.gitea, .github). */
export const isFleetFile = (path: string): boolean => /\.ya?ml$/.test(path) && !path.split('/').some((part) => part.startsWith('.'));

export function applyFiles(base: ReadonlyMap<string, string>, files: FileChange[]): Map<string, string> {
  const head = new Map(base);
  for (const f of files) {
    if (f.content === null) head.delete(f.path);
    else head.set(f.path, f.content);
  }
  return head;
}

/** Violations the change brings in: those of the head that the base does not already have. */
export function introducedViolations(base: FleetTree, head: FleetTree): Violation[] {
  // Keyed by file, not resource id: rewriting an object without its metadata.namespace does not make its old problems new.
  const key = (v: Violation) => `${v.policy}\0${v.path ?? ''}\0${v.reason}`;
  const existing = new Set(runPolicies(FLEET_POLICIES, { head: base }).map(key));
  return runPolicies(FLEET_POLICIES, { base, head }).filter((v) => !existing.has(key(v)));
}

export interface BaseTree {
  branch: string;
  files: ReadonlyMap<string, string>;
}

/**
 * Opens (or finds) the pull request for a change. The base branch's tree is read to refuse a change that breaks a
 * policy (an InputError naming it) and to render the diff reviewers read, unless the change brings its own.
 */
export async function propose(host: GitHost, change: ProposedChange, knownBase?: BaseTree): Promise<ProposeResult> {
  validateChange(change);
  const base = knownBase ?? (await readBase(host));
  const baseTree = parseFleetTree(base.files);
  const headTree = parseFleetTree(applyFiles(base.files, change.files));
  const introduced = introducedViolations(baseTree, headTree);
  if (introduced.length > 0) throw new PolicyViolationError('files', formatViolation(introduced[0]!));
  const diff = change.diff ?? renderDiff(renderValidFleet(baseTree), renderValidFleet(headTree));

  const branch = branchFor(change);
  if ((await host.branchHead(branch)) === null) await host.createBranch(branch, base.branch);
  const pending: FileChange[] = [];
  for (const f of change.files) if ((await host.readFile(branch, f.path)) !== f.content) pending.push(f);
  if (pending.length > 0) {
    const input: Parameters<GitHost['commitFiles']>[0] = { branch, message: change.title, files: change.files };
    // The trailer names the requester in a commit only the bot can push, where verify reads it.
    if (change.requestedBy) Object.assign(input, { author: change.requestedBy, message: `${change.title}\n\n${requestedByTrailer(change.requestedBy)}\n` });
    await host.commitFiles(input);
  }
  const { pullRequest, created } = await host.openPullRequest({
    head: branch,
    base: base.branch,
    title: change.title,
    body: pullRequestBody({ ...change, diff }),
    labels: labelsFor(change),
  });
  return { branch, pullRequest, created, committed: pending.length > 0, diff };
}

export async function readBase(host: GitHost): Promise<BaseTree> {
  const branch = await host.defaultBranch();
  return { branch, files: await host.readTree(branch, isFleetFile) };
}
