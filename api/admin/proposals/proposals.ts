// The API's write path: every change to the fleet becomes a pull request the bot opens for the requesting user, and
// open proposals are listed with the two-person rule decided from the reviews, never from the host's own count.
import { parsePatch } from 'diff';
import { API_VERSION, validate, type KindName } from '../../../crds/index.js';
import {
  proposeFleetChange,
  schoolOf,
  parseFleetTree,
  type FleetResource,
  HostError,
  type GitHost,
  type Person,
  type PullRequest,
  isFleetFile,
  readBase,
  type ProposeResult,
  renderDiff,
  renderValidFleet,
  checkTwoPersonRule,
} from '../../../gitops/index.js';
import { ConflictError, InputError, NotFoundError, PolicyViolationError, UnavailableError } from '../../../lib/errors/index.js';
import type { Logger } from '../../../lib/log/logger.js';
import { actorOf, SCOPED_ROLES, schoolFilter, type Principal } from '../access.js';
import type { AuditLog } from '../audit/audit-log.js';
import { CredentialsStoreError, type CredentialsStore } from './credentials-store.js';
import type {
  FaceIdCreate,
  FaceIdUpdate,
  MediaNodeCreate,
  MediaNodeUpdate,
  NvrCreate,
  NvrUpdate,
  OpenProposal,
  ProposalDetail,
  ProposalResult,
  ProposalView,
  SchoolPatch,
  SchoolTunnelRequest,
} from './schemas.js';

export interface ProposalsDeps {
  host: GitHost;
  credentials: CredentialsStore;
  audit: AuditLog;
  logger: Logger;
  /** The clusters/<env> folder proposals change. */
  env: string;
  /** The host account whose token opens the pull requests; its approvals never count. */
  bot: string;
  /** Commits are authored as `<username>@<authorDomain>`, so the host maps them to the requester's own account. */
  authorDomain: string;
  requiredApprovals?: number;
}

type Action = ProposalResult['change']['action'];

/** The audit action of a proposal call, allowed or not: `proposal.Nvr.create`. */
export const auditAction = (kind: KindName, action: Action): string => `proposal.${kind}.${action}`;

interface Change {
  action: Action;
  kind: KindName;
  name: string;
  schoolId: string | null;
}

interface Planned {
  put?: Record<string, unknown>[];
  remove?: { kind: KindName; name: string }[];
  object: Record<string, unknown> | null;
  /** Extra audit parameters (never a credential). */
  audit?: Record<string, unknown>;
}

/** The fleet of the proposals' cluster folder on the default branch. */
class BaseFleet {
  constructor(private readonly resources: FleetResource[]) {}

  find(kind: KindName, name: string): FleetResource | undefined {
    return this.resources.find((r) => r.kind === kind && r.name === name);
  }

  /** The object of a school's own kind, or a 404 that says nothing about other schools. */
  ofSchool(kind: 'Nvr' | 'FaceIdDevice', schoolId: string, name: string): FleetResource {
    const found = this.find(kind, name);
    if (!found || schoolOf(found) !== schoolId) throw new NotFoundError('name', `no ${kind} ${name} in school ${schoolId}`);
    return found;
  }

  school(schoolId: string): FleetResource {
    return this.find('School', schoolId) ?? notFound('schoolId', `no school ${schoolId}`);
  }
}

const notFound = (field: string, detail: string): never => {
  throw new NotFoundError(field, detail);
};

const specOf = (r: FleetResource): Record<string, unknown> => (r.object.spec ?? {}) as Record<string, unknown>;

/** Labels and annotations an object already has in Git survive an update. */
const metadataOf = (name: string, existing?: FleetResource): Record<string, unknown> => {
  const meta = (existing?.object.metadata ?? {}) as { labels?: unknown; annotations?: unknown };
  return { name, ...(meta.labels ? { labels: meta.labels } : {}), ...(meta.annotations ? { annotations: meta.annotations } : {}) };
};

const resource = (kind: KindName, name: string, spec: Record<string, unknown>, existing?: FleetResource) => ({
  apiVersion: API_VERSION,
  kind,
  metadata: metadataOf(name, existing),
  spec,
});
type Manifest = ReturnType<typeof resource>;

function requireSchoolPrefix(schoolId: string, name: string): void {
  if (!name.startsWith(`${schoolId}-`)) throw new InputError('name', `must start with ${schoolId}- so names stay unique across schools`);
}

/**
 * Validates with the resource model before anything is written (the error names the request's field) and returns the
 * object as Git will hold it, defaults filled in.
 */
function checked(object: Manifest): Manifest {
  const result = validate(object.kind, object);
  if (!result.ok) throw new InputError(requestField(result.errors[0]!.field), result.errors[0]!.message);
  const { status: _status, metadata, ...valid } = result.value;
  return { ...valid, metadata: { ...metadata }, spec: valid.spec as Record<string, unknown> };
}

const requestField = (field: string): string => (field === 'metadata.name' ? 'name' : field.replace(/^spec\./, ''));

/** Lines added and removed per rendered file. */
export function diffStat(diff: string): ProposalView['diffStat'] {
  return parsePatch(diff).map((patch) => {
    const name = patch.newFileName && patch.newFileName !== '/dev/null' ? patch.newFileName : (patch.oldFileName ?? '');
    const lines = patch.hunks.flatMap((h) => h.lines);
    return {
      file: name.replace(/^[ab]\//, ''),
      added: lines.filter((l) => l.startsWith('+')).length,
      removed: lines.filter((l) => l.startsWith('-')).length,
    };
  });
}

const labelValue = (labels: string[], prefix: string): string | null => labels.find((l) => l.startsWith(prefix))?.slice(prefix.length) ?? null;

const requesterOf = (body: string): string | null => /^Requested by (.+?) <[^>\n]*>\.$/m.exec(body)?.[1] ?? null;

/** Runs `work` over items with at most `limit` in flight, keeping order. */
async function inBatches<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += limit) out.push(...(await Promise.all(items.slice(i, i + limit).map(work))));
  return out;
}

export class Proposals {
  private readonly requiredApprovals: number;

  private constructor(private readonly deps: ProposalsDeps) {
    this.requiredApprovals = deps.requiredApprovals ?? 2;
  }

  static create(deps: ProposalsDeps): Proposals {
    return new Proposals(deps);
  }

  createNvr(principal: Principal, requestId: string, schoolId: string, body: NvrCreate): Promise<ProposalResult> {
    const { name, credentials, ...fields } = body;
    return this.propose(principal, requestId, { action: 'create', kind: 'Nvr', name, schoolId }, async (base) => {
      requireSchoolPrefix(schoolId, name);
      base.school(schoolId);
      if (base.find('Nvr', name)) throw new ConflictError('name', `an NVR named ${name} already exists`);
      const object = checked(resource('Nvr', name, { schoolRef: schoolId, ...fields, credentialsSecretRef: { name: 'pending' } }));
      const secret = await this.deps.credentials.put({ schoolId, nvr: name }, credentials);
      object.spec.credentialsSecretRef = { name: secret };
      return { put: [object], object, audit: { nvrLogin: 'new', loginRef: secret } };
    });
  }

  updateNvr(principal: Principal, requestId: string, schoolId: string, name: string, body: NvrUpdate): Promise<ProposalResult> {
    const { credentials, ...fields } = body;
    return this.propose(principal, requestId, { action: 'update', kind: 'Nvr', name, schoolId }, async (base) => {
      const existing = base.ofSchool('Nvr', schoolId, name);
      const kept = specOf(existing).credentialsSecretRef as { name: string } | undefined;
      const object = checked(resource('Nvr', name, { schoolRef: schoolId, ...fields, credentialsSecretRef: kept ?? { name: 'pending' } }, existing));
      if (!credentials && !kept) throw new InputError('credentials', `required: NVR ${name} references no credentials yet`);
      const secret = credentials ? await this.deps.credentials.put({ schoolId, nvr: name }, credentials) : kept!.name;
      object.spec.credentialsSecretRef = { name: secret };
      return { put: [object], object, audit: { nvrLogin: credentials ? 'new' : 'kept', loginRef: secret } };
    });
  }

  deleteNvr(principal: Principal, requestId: string, schoolId: string, name: string): Promise<ProposalResult> {
    return this.propose(principal, requestId, { action: 'delete', kind: 'Nvr', name, schoolId }, async (base) => {
      base.ofSchool('Nvr', schoolId, name);
      return { remove: [{ kind: 'Nvr', name }], object: null };
    });
  }

  createFaceIdDevice(principal: Principal, requestId: string, schoolId: string, body: FaceIdCreate): Promise<ProposalResult> {
    const { name, ...fields } = body;
    return this.propose(principal, requestId, { action: 'create', kind: 'FaceIdDevice', name, schoolId }, async (base) => {
      requireSchoolPrefix(schoolId, name);
      base.school(schoolId);
      if (base.find('FaceIdDevice', name)) throw new ConflictError('name', `a FaceID device named ${name} already exists`);
      const object = checked(resource('FaceIdDevice', name, { schoolRef: schoolId, ...fields }));
      return { put: [object], object };
    });
  }

  updateFaceIdDevice(principal: Principal, requestId: string, schoolId: string, name: string, body: FaceIdUpdate): Promise<ProposalResult> {
    return this.propose(principal, requestId, { action: 'update', kind: 'FaceIdDevice', name, schoolId }, async (base) => {
      const existing = base.ofSchool('FaceIdDevice', schoolId, name);
      // A signing secret is chosen by the platform's engineers in Git, never through this endpoint.
      const webhook = specOf(existing).webhookSecretRef;
      const object = checked(resource('FaceIdDevice', name, { schoolRef: schoolId, ...body, ...(webhook ? { webhookSecretRef: webhook } : {}) }, existing));
      return { put: [object], object };
    });
  }

  deleteFaceIdDevice(principal: Principal, requestId: string, schoolId: string, name: string): Promise<ProposalResult> {
    return this.propose(principal, requestId, { action: 'delete', kind: 'FaceIdDevice', name, schoolId }, async (base) => {
      base.ofSchool('FaceIdDevice', schoolId, name);
      return { remove: [{ kind: 'FaceIdDevice', name }], object: null };
    });
  }

  updateSchool(principal: Principal, requestId: string, schoolId: string, patch: SchoolPatch): Promise<ProposalResult> {
    return this.propose(principal, requestId, { action: 'update', kind: 'School', name: schoolId, schoolId }, async (base) => {
      const existing = base.school(schoolId);
      const object = checked(resource('School', schoolId, { ...specOf(existing), ...patch }, existing));
      return { put: [object], object, audit: { fields: Object.keys(patch).sort() } };
    });
  }

  /** Tunnel mode with the gateway's public key; the private key never leaves the school. */
  proposeTunnel(principal: Principal, requestId: string, schoolId: string, tunnel: SchoolTunnelRequest): Promise<ProposalResult> {
    return this.propose(principal, requestId, { action: 'update', kind: 'School', name: schoolId, schoolId }, async (base) => {
      const existing = base.school(schoolId);
      const object = checked(resource('School', schoolId, { ...specOf(existing), networkMode: 'tunnel', tunnel }, existing));
      return { put: [object], object, audit: { fields: ['networkMode', 'tunnel'] } };
    });
  }

  createMediaNode(principal: Principal, requestId: string, body: MediaNodeCreate): Promise<ProposalResult> {
    const { name, ...spec } = body;
    return this.propose(principal, requestId, { action: 'create', kind: 'MediaNode', name, schoolId: null }, async (base) => {
      if (base.find('MediaNode', name)) throw new ConflictError('name', `a media node named ${name} already exists`);
      const object = checked(resource('MediaNode', name, spec));
      return { put: [object], object };
    });
  }

  updateMediaNode(principal: Principal, requestId: string, name: string, body: MediaNodeUpdate): Promise<ProposalResult> {
    return this.propose(principal, requestId, { action: 'update', kind: 'MediaNode', name, schoolId: null }, async (base) => {
      const existing = base.find('MediaNode', name) ?? notFound('name', `no media node ${name}`);
      const object = checked(resource('MediaNode', name, body, existing));
      return { put: [object], object };
    });
  }

  deleteMediaNode(principal: Principal, requestId: string, name: string): Promise<ProposalResult> {
    return this.propose(principal, requestId, { action: 'delete', kind: 'MediaNode', name, schoolId: null }, async (base) => {
      if (!base.find('MediaNode', name)) notFound('name', `no media node ${name}`);
      return { remove: [{ kind: 'MediaNode', name }], object: null };
    });
  }

  /** Open pull requests the caller may see (scoped roles: those labelled with their schools), newest first. */
  /** Open proposals the caller may see, newest first, a page at a time: only the page's ones are asked about reviews. */
  async list(principal: Principal, page: { schoolId?: string | undefined; before?: number | undefined; limit: number }): Promise<{ items: OpenProposal[]; next: number | null }> {
    const visible = schoolFilter(principal);
    const open = await this.host((h) => h.listPullRequests('open'));
    const selected = open
      .map((pr) => ({ pr, school: labelValue(pr.labels, 'school/') }))
      .filter(({ pr, school }) => visible(school) && (page.schoolId === undefined || school === page.schoolId) && (page.before === undefined || pr.number < page.before))
      .sort((a, b) => b.pr.number - a.pr.number);
    const items = await inBatches(selected.slice(0, page.limit), 8, ({ pr, school }) => this.describe(pr, school));
    return { items, next: selected.length > page.limit ? selected[page.limit - 1]!.pr.number : null };
  }

  /**
   * One proposal with what it would change in the rendered MediaMTX configs: the branch against the base branch as
   * both stand now. Another school's proposal is a 404, so a scoped caller learns nothing of it.
   */
  async detail(principal: Principal, number: number): Promise<ProposalDetail> {
    const missing = () => new NotFoundError('number', `no proposal ${number}`);
    const pr = await this.host(async (h) => {
      try {
        return await h.getPullRequest(number);
      } catch (error) {
        if (error instanceof HostError && error.status === 404) return null;
        throw error;
      }
    });
    if (!pr) throw missing();
    const school = labelValue(pr.labels, 'school/');
    if (!schoolFilter(principal)(school)) throw missing();
    const [described, base, head] = await Promise.all([
      this.describe(pr, school),
      this.host((h) => h.readTree(pr.base.ref, isFleetFile)),
      this.host((h) => h.readTree(pr.head.ref, isFleetFile)),
    ]);
    const diff = renderDiff(renderValidFleet(parseFleetTree(base)), renderValidFleet(parseFleetTree(head)));
    return { ...described, diffStat: diffStat(diff), diff: SCOPED_ROLES.has(principal.role) ? null : diff };
  }

  private async describe(pr: PullRequest, school: string | null): Promise<OpenProposal> {
    const [reviews, commits] = await this.host((h) => Promise.all([h.listReviews(pr.number), h.listPullRequestCommits(pr.number)]));
    const verdict = checkTwoPersonRule({ pullRequest: pr, reviews, commits, bot: this.deps.bot, requiredApprovals: this.requiredApprovals });
    return {
      number: pr.number,
      title: pr.title,
      url: pr.url,
      branch: pr.head.ref,
      headSha: pr.head.sha,
      author: pr.author,
      requestedBy: requesterOf(pr.body),
      school,
      kind: labelValue(pr.labels, 'kind/'),
      labels: [...pr.labels].sort(),
      approvals: {
        required: this.requiredApprovals,
        approvers: verdict.approvers,
        discounted: verdict.discounted,
        blocking: verdict.violations.map((v) => v.reason),
        satisfied: verdict.violations.length === 0,
      },
    };
  }

  private async propose(principal: Principal, requestId: string, change: Change, plan: (base: BaseFleet) => Promise<Planned>): Promise<ProposalResult> {
    const action = auditAction(change.kind, change.action);
    const auditBase = { ...actorOf(principal), schoolId: change.schoolId, requestId, action };
    const params = { kind: change.kind, name: change.name, ...(change.schoolId ? { schoolId: change.schoolId } : {}) };
    let planned: Planned | undefined;
    try {
      const base = await this.readFleet();
      planned = await plan(base);
      const result = await this.host((h) =>
        proposeFleetChange(h, {
          env: this.deps.env,
          ...(planned!.put ? { put: planned!.put } : {}),
          ...(planned!.remove ? { remove: planned!.remove } : {}),
          requestedBy: this.personOf(principal),
        }).catch((error: unknown) => {
          throw inCallerTerms(error);
        }),
      );
      await this.deps.audit.record({
        ...auditBase,
        params: { ...params, ...planned.audit, pullRequest: result.pullRequest.number, branch: result.branch, created: result.created },
        result: 'ok',
      });
      return { proposal: this.view(result, principal), change: { action: change.action, kind: change.kind, name: change.name, object: planned.object } };
    } catch (raw) {
      const error = raw instanceof CredentialsStoreError ? new UnavailableError(raw.message) : raw instanceof Error ? raw : new Error(String(raw));
      await this.deps.audit.record({ ...auditBase, params: { ...params, ...planned?.audit, error: error.message }, result: outcomeOf(error) });
      throw error;
    }
  }

  private view(result: ProposeResult, principal: Principal): ProposalView {
    return {
      number: result.pullRequest.number,
      url: result.pullRequest.url,
      title: result.pullRequest.title,
      branch: result.branch,
      created: result.created,
      labels: [...result.pullRequest.labels].sort(),
      diffStat: diffStat(result.diff),
      diff: SCOPED_ROLES.has(principal.role) ? null : result.diff,
    };
  }

  private personOf(principal: Principal): Person {
    // An agent's change is authored as the admin who issued its token: the host maps it to that account, which then
    // cannot be one of the two approvers.
    const name = principal.role === 'AGENT' ? `${principal.username} (school agent)` : principal.username;
    return { name, email: `${principal.username}@${this.deps.authorDomain}` };
  }

  private async readFleet(): Promise<BaseFleet> {
    const base = await this.host((h) => readBase(h));
    const prefix = `clusters/${this.deps.env}/`;
    return new BaseFleet(parseFleetTree(base.files).resources.filter((r) => r.path.startsWith(prefix)));
  }

  /** Calls the host; its failures become a 503 that names no token, logged once here. */
  private async host<T>(call: (host: GitHost) => Promise<T>): Promise<T> {
    try {
      return await call(this.deps.host);
    } catch (error) {
      if (error instanceof HostError) {
        this.deps.logger.warn('git host request failed', { status: error.status, error: error.message });
        throw new UnavailableError(`git host: the request failed (HTTP ${error.status}); try again later`);
      }
      throw error;
    }
  }
}

/** gitops names fields of the change it was given (`put[0].spec.publicHost`); the API names the caller's field. */
function inCallerTerms(error: unknown): unknown {
  // A policy the change would break on the fleet as it is (an undrained node, a missing reference).
  if (error instanceof PolicyViolationError) return new ConflictError('fleet', error.detail);
  if (!(error instanceof InputError)) return error;
  const put = /^put\[\d+\]\./.exec(error.field);
  return put ? error.renamed(requestField(error.field.slice(put[0].length))) : new InputError('body', error.message);
}

const outcomeOf = (error: Error): string =>
  error instanceof InputError ? 'invalid'
  : error instanceof NotFoundError ? 'not-found'
  : error instanceof ConflictError ? 'conflict'
  : error instanceof UnavailableError ? 'unavailable'
  : 'failed';
