// The fleet repository's CI that posts posbon/verify on every pull request event and every review, since an approval
// or a dismissal changes the verdict on the same commit. `protect` writes both files; a pull request cannot change them.
import { stringify } from 'yaml';
import type { GitHost } from '../hosts/git-host.js';

export interface WorkflowFile {
  path: string;
  content: string;
}

/** Names the review workflow carries: the verify workflow runs when a run of it completes. */
export const REVIEW_WORKFLOW_NAME = 'posbon/review';

const HEADER = '# Written by posbon-gitops protect; a protected file, changed only by running protect again.\n';

/**
 * Two files per host. `posbon-verify` holds the token and runs from the default branch only (pull_request_target,
 * workflow_run), so no pull request can run its own version of it with the token. Review events run workflows from
 * the pull request's head, so `posbon-review` holds nothing and only triggers `posbon-verify`. Verify reads every
 * open pull request from the host's API (`verify --open`), trusting no event payload and executing nothing of a head.
 */
export function verifyWorkflows(kind: GitHost['kind']): WorkflowFile[] {
  const ctx = kind === 'github' ? 'github' : 'gitea';
  const token =
    kind === 'github'
      ? [
          {
            name: "Act as the Posbon App: branch protection counts only the App's posbon/verify",
            id: 'app',
            uses: 'actions/create-github-app-token@v1',
            with: { 'app-id': '${{ vars.POSBON_APP_ID }}', 'private-key': '${{ secrets.POSBON_APP_PRIVATE_KEY }}' },
          },
        ]
      : [];
  const verifyFlow = {
    name: 'posbon/verify',
    on: {
      pull_request_target: { types: ['opened', 'synchronize', 'reopened', 'edited', 'ready_for_review'] },
      workflow_run: { workflows: [REVIEW_WORKFLOW_NAME], types: ['completed'] },
    },
    permissions: { contents: 'read' },
    // The newest event decides: one run at a time, a newer event cancels an older run.
    concurrency: { group: 'posbon-verify', 'cancel-in-progress': true },
    jobs: {
      verify: {
        'runs-on': 'ubuntu-latest',
        steps: [
          {
            name: 'posbon-gitops at the pinned release',
            uses: 'actions/checkout@v4',
            with: { repository: '${{ vars.POSBON_REPOSITORY }}', ref: '${{ vars.POSBON_REF }}', 'persist-credentials': false },
          },
          { uses: 'actions/setup-node@v4', with: { 'node-version': '20' } },
          { name: 'Install posbon-gitops', run: 'npm ci --no-audit --no-fund --omit=optional' },
          ...token,
          {
            name: 'posbon-gitops verify --open --status',
            env: {
              POSBON_GIT_HOST: kind,
              POSBON_GIT_URL: kind === 'github' ? '${{ github.api_url }}' : '${{ gitea.server_url }}',
              POSBON_GIT_REPO: `\${{ ${ctx}.repository }}`,
              POSBON_GIT_TOKEN: kind === 'github' ? '${{ steps.app.outputs.token }}' : '${{ secrets.POSBON_GIT_TOKEN }}',
              POSBON_GIT_BOT: '${{ vars.POSBON_BOT }}',
              RUN_URL: `\${{ ${ctx}.server_url }}/\${{ ${ctx}.repository }}/actions/runs/\${{ ${ctx}.run_id }}`,
            },
            run: 'npx tsx gitops/cli/main.ts verify --open --status --target-url "$RUN_URL"',
          },
        ],
      },
    },
  };
  const reviewFlow = {
    name: REVIEW_WORKFLOW_NAME,
    on: { pull_request_review: { types: ['submitted', 'edited', 'dismissed'] } },
    permissions: {},
    jobs: {
      review: {
        'runs-on': 'ubuntu-latest',
        steps: [{ name: 'Hand the review to posbon/verify', run: `echo "review of pull request \${{ ${ctx}.event.pull_request.number }}"` }],
      },
    },
  };
  return [
    { path: `.${kind}/workflows/posbon-verify.yaml`, content: HEADER + stringify(verifyFlow, { lineWidth: 0 }) },
    { path: `.${kind}/workflows/posbon-review.yaml`, content: HEADER + stringify(reviewFlow, { lineWidth: 0 }) },
  ];
}
