import type { Commit, PullRequest, Review } from '../hosts/git-host.js';
import { checkTwoPersonRule } from './two-person-rule.js';

const HEAD = 'a'.repeat(40);
const OLD = 'b'.repeat(40);

const pr = (author = 'posbon-bot'): PullRequest => ({
  number: 7,
  title: 'Add NVR',
  body: '',
  state: 'open',
  author,
  head: { ref: 'posbon/x', sha: HEAD },
  base: { ref: 'main' },
  labels: [],
  url: 'http://git/7',
});

let nextId = 1;
const review = (author: string, state: Review['state'] = 'APPROVED', extra: Partial<Review> = {}): Review => ({
  id: nextId++,
  author,
  state,
  commitId: HEAD,
  dismissed: false,
  stale: false,
  ...extra,
});
const commitBy = (login: string | null): Commit => ({ sha: HEAD, author: { name: login ?? 'someone', email: 'x@y' }, authorLogin: login });

const check = (reviews: Review[], opts: { author?: string; commits?: Commit[] } = {}) =>
  checkTwoPersonRule({ pullRequest: pr(opts.author), reviews, commits: opts.commits ?? [commitBy('root-admin')], bot: 'posbon-bot', requiredApprovals: 2 });

describe('two-person rule', () => {
  it('passes with two approvals of the head from two other people', () => {
    expect(check([review('alice'), review('bob')])).toEqual({ violations: [], approvers: ['alice', 'bob'], discounted: [] });
  });

  it('fails with one approval', () => {
    const verdict = check([review('alice')]);
    expect(verdict.violations.map((v) => v.reason)).toEqual([
      `2 approvals of head aaaaaaa from people other than the authors (root-admin) and the bot are required; found 1 (alice)`,
    ]);
  });

  it('does not count two approvals by one person', () => {
    expect(check([review('alice'), review('alice')]).approvers).toEqual(['alice']);
  });

  it("does not count the change author's own approval, even when the host let a repository admin give it", () => {
    const verdict = check([review('root-admin'), review('alice')]);
    expect(verdict.approvers).toEqual(['alice']);
    expect(verdict.discounted).toEqual([{ reviewer: 'root-admin', why: 'an author of the change' }]);
    expect(verdict.violations).toHaveLength(1);
  });

  it('fails a pull request approved only by its admin author who opened it', () => {
    const verdict = check([review('root-admin')], { author: 'root-admin', commits: [commitBy('root-admin')] });
    expect(verdict.violations[0]!.reason).toMatch(/found 0; not counted: root-admin \(an author of the change\)/);
  });

  it('does not count the bot', () => {
    expect(check([review('posbon-bot'), review('alice')]).discounted).toEqual([{ reviewer: 'posbon-bot', why: 'the bot that opened the change' }]);
  });

  it('does not count stale or dismissed approvals', () => {
    const verdict = check([review('alice', 'APPROVED', { commitId: OLD }), review('bob', 'APPROVED', { dismissed: true }), review('carol', 'APPROVED', { stale: true })]);
    expect(verdict.approvers).toEqual([]);
    expect(verdict.discounted).toEqual([
      { reviewer: 'alice', why: 'approved bbbbbbb, not the head aaaaaaa' },
      { reviewer: 'bob', why: 'dismissed' },
      { reviewer: 'carol', why: 'approved aaaaaaa, not the head aaaaaaa' },
    ]);
  });

  it('a later request for changes withdraws an approval and blocks', () => {
    const verdict = check([review('alice'), review('bob'), review('bob', 'CHANGES_REQUESTED')]);
    expect(verdict.violations.map((v) => v.reason)).toEqual([
      'bob requested changes',
      '2 approvals of head aaaaaaa from people other than the authors (root-admin) and the bot are required; found 1 (alice)',
    ]);
  });

  it('a comment after an approval keeps the approval', () => {
    expect(check([review('alice'), review('bob'), review('bob', 'COMMENTED')]).violations).toEqual([]);
  });
});
