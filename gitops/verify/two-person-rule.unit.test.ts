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
const commitBy = (login: string | null, committer: string | null = 'posbon-bot', message = 'Add NVR'): Commit => ({
  sha: HEAD,
  author: { name: login ?? 'someone', email: `${login ?? 'someone'}@posbon.test` },
  authorLogin: login,
  committer: { name: committer ?? 'someone', email: `${committer ?? 'someone'}@posbon.test` },
  committerLogin: committer,
  message,
});

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

  describe('fails closed on authorship it cannot trust', () => {
    const reasons = (verdict: ReturnType<typeof check>) => verdict.violations.map((v) => v.reason);

    it('a commit whose author maps to no account fails, however many approve', () => {
      const verdict = check([review('alice'), review('bob'), review('carol')], { commits: [commitBy(null)] });
      expect(reasons(verdict)).toEqual(['commit aaaaaaa is authored by someone@posbon.test, which maps to no account, so its author cannot be kept from approving']);
    });

    it('a commit whose committer maps to no account fails', () => {
      expect(reasons(check([review('alice'), review('bob')], { commits: [commitBy('carol', null)] }))).toEqual([
        'commit aaaaaaa is committed by someone@posbon.test, which maps to no account, so its committer cannot be kept from approving',
      ]);
    });

    it('never counts the requester the bot names in its commit, whatever account the e-mail maps to', () => {
      const named = commitBy(null, 'posbon-bot', 'Add NVR\n\nRequested-by: carol (school agent) <someone@posbon.test>\n');
      const verdict = check([review('alice'), review('carol')], { commits: [named] });
      expect(verdict.discounted).toEqual([{ reviewer: 'carol', why: 'an author of the change' }]);
      expect(verdict.approvers).toEqual(['alice']);
    });

    it('a requester the commit is not authored by fails', () => {
      const forged = commitBy('dave', 'posbon-bot', 'Add NVR\n\nRequested-by: carol <carol@posbon.test>\n');
      expect(reasons(check([review('alice'), review('bob')], { commits: [forged] }))).toEqual([
        'commit aaaaaaa names carol@posbon.test as its requester but is authored by dave@posbon.test',
      ]);
    });

    it("a reviewer's commit on the bot's proposal, under the requester's name, fails and makes the reviewer an author", () => {
      const verdict = check([review('alice'), review('bob')], { commits: [commitBy('carol'), { ...commitBy('carol', 'alice'), sha: 'c'.repeat(40) }] });
      expect(reasons(verdict)).toEqual([
        'commit ccccccc was committed by alice, not the bot: only the bot writes proposal branches',
        '2 approvals of head aaaaaaa from people other than the authors (carol, alice) and the bot are required; found 1 (bob); not counted: alice (an author of the change)',
      ]);
    });

    it('a proposal the bot opened outside its own branches fails', () => {
      const verdict = checkTwoPersonRule({ pullRequest: { ...pr(), head: { ref: 'feature/x', sha: HEAD } }, reviews: [review('alice'), review('bob')], commits: [commitBy('carol')], bot: 'posbon-bot', requiredApprovals: 2 });
      expect(reasons(verdict)).toEqual(['the bot opened it from feature/x, outside the posbon/ branches only the bot may write']);
    });

    it('a person opening their own pull request may commit to it', () => {
      expect(check([review('alice'), review('bob')], { author: 'dave', commits: [commitBy('dave', 'dave')] }).violations).toEqual([]);
    });
  });
});
