import { parse } from 'yaml';
import { verifyWorkflows } from './verify-workflow.js';

describe.each(['github', 'gitea'] as const)('the posbon/verify workflows for %s', (kind) => {
  const [verifyFlow, reviewFlow] = verifyWorkflows(kind).map((f) => parse(f.content));

  it('runs the token-holding verify only from the default branch: pull_request_target and the review workflow completing', () => {
    expect(Object.keys(verifyFlow.on).sort()).toEqual(['pull_request_target', 'workflow_run']);
    expect(verifyFlow.on.workflow_run).toEqual({ workflows: [reviewFlow.name], types: ['completed'] });
    expect(verifyFlow.permissions).toEqual({ contents: 'read' });
    const steps = verifyFlow.jobs.verify.steps;
    expect(steps.at(-1).run).toBe('npx tsx gitops/cli/main.ts verify --open --status --target-url "$RUN_URL"');
    // Nothing of a pull request's head is checked out, so nothing of it runs beside the token.
    expect(steps.filter((s: { uses?: string }) => s.uses?.startsWith('actions/checkout')).map((s: { with: Record<string, string> }) => s.with.repository)).toEqual([
      '${{ vars.POSBON_REPOSITORY }}',
    ]);
  });

  it('lets every review trigger verify through a workflow that holds no secret and no permission', () => {
    expect(reviewFlow.on).toEqual({ pull_request_review: { types: ['submitted', 'edited', 'dismissed'] } });
    expect(reviewFlow.permissions).toEqual({});
    expect(JSON.stringify(reviewFlow)).not.toMatch(/secrets\.|vars\.|TOKEN/);
  });
});

it('posts as the GitHub App on GitHub and as the bot on Gitea', () => {
  const tokenOf = (kind: 'github' | 'gitea') => parse(verifyWorkflows(kind)[0]!.content).jobs.verify.steps.at(-1).env.POSBON_GIT_TOKEN;
  expect([tokenOf('github'), tokenOf('gitea')]).toEqual(['${{ steps.app.outputs.token }}', '${{ secrets.POSBON_GIT_TOKEN }}']);
});
