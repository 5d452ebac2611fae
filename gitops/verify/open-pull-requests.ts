// Verifies every open pull request against the default branch from the host's own trees, posting posbon/verify on
// each head: what the fleet repository's CI runs on any pull request or review event, with no event payload to trust.
import { parseFleetTree } from '../fleet-repo/tree.js';
import type { CommitStatusState, GitHost } from '../hosts/git-host.js';
import { isFleetFile } from '../propose.js';
import { VERIFY_CONTEXT } from '../protect.js';
import { formatViolation } from './policy.js';
import { verify, type VerifyReport } from './verify.js';

export interface OpenVerdict {
  number: number;
  headSha: string;
  /** `skipped` when the head moved while it was verified: the push's own event verifies the new head. */
  outcome: 'pass' | 'fail' | 'skipped';
  report?: VerifyReport;
}

export interface StatusOptions {
  post: boolean;
  targetUrl?: string;
}

const describe = (report: VerifyReport): string => (report.ok ? 'policies and two-person rule pass' : formatViolation(report.violations[0]!));

export async function postVerifyStatus(host: GitHost, sha: string, state: CommitStatusState, description: string, options: StatusOptions): Promise<void> {
  if (!options.post) return;
  await host.createStatus(sha, { context: VERIFY_CONTEXT, state, description, ...(options.targetUrl ? { targetUrl: options.targetUrl } : {}) });
}

export async function verifyOpenPullRequests(host: GitHost, bot: string, status: StatusOptions): Promise<OpenVerdict[]> {
  const target = await host.defaultBranch();
  const base = parseFleetTree(await host.readTree(target, isFleetFile));
  const open = (await host.listPullRequests('open')).filter((pr) => pr.base.ref === target).sort((a, b) => a.number - b.number);
  const verdicts: OpenVerdict[] = [];
  for (const pr of open) {
    // Pending first: an earlier success on this head must not let it merge while the new verdict is computed.
    await postVerifyStatus(host, pr.head.sha, 'pending', 'verifying policies and the two-person rule', status);
    let report: VerifyReport;
    try {
      const head = parseFleetTree(await host.readTree(pr.head.ref, isFleetFile));
      report = await verify({ head, base, pullRequest: { host, number: pr.number, bot } });
    } catch (error) {
      // Never leave a pending status behind: the pull request shows why verify could not decide.
      await postVerifyStatus(host, pr.head.sha, 'error', `verify could not run: ${error instanceof Error ? error.message : String(error)}`, status);
      throw error;
    }
    if (report.pullRequest!.headSha !== pr.head.sha) {
      verdicts.push({ number: pr.number, headSha: pr.head.sha, outcome: 'skipped' });
      continue;
    }
    await postVerifyStatus(host, pr.head.sha, report.ok ? 'success' : 'failure', describe(report), status);
    verdicts.push({ number: pr.number, headSha: pr.head.sha, outcome: report.ok ? 'pass' : 'fail', report });
  }
  return verdicts;
}
