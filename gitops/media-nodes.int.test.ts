// Infrastructure meets the fleet through review, on a real Gitea: the stack's nodes arrive as a pull request that
// merges only with two approvals, and a node's removal is refused until its MediaNode was drained in an earlier change.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { parse, stringify } from 'yaml';
import { FakeHetzner, valueOf } from '../test/fakes/hcloud.js';
import { startGitea, type Gitea, type GiteaRole } from '../test/harness/gitea.js';
import { eventually } from '../test/harness/process.js';
import { mediaNodeStack } from '../pulumi/program.js';
import type { CliIo } from './cli/command.js';
import { main } from './cli/main.js';
import { readFleetTree } from './fleet-repo/tree.js';
import { MergeRefusedError } from './hosts/git-host.js';
import { GiteaHost } from './hosts/gitea.js';
import { protect, VERIFY_CONTEXT } from './protect.js';

const EXAMPLE = join(process.cwd(), 'gitops/example');
const hetzner = new FakeHetzner();
let gitea: Gitea;
let repo: { owner: string; repo: string };
const host = (role: GiteaRole) => GiteaHost.create({ url: gitea.url, ...repo, token: gitea.users[role].token });

beforeAll(async () => {
  gitea = await startGitea(process.env.POSBON_TEST_PG_URL!);
  repo = await gitea.createRepository('fleet-media-nodes');
  const example = await readFleetTree(EXAMPLE);
  await host('admin').commitFiles({
    branch: 'main',
    message: 'Example fleet',
    files: [...example.files].map(([path, content]) => ({ path, content })),
  });
  await protect(host('admin'), { fleet: ['alice', 'bob', 'carol'] }, { login: 'posbon-bot' });
}, 300_000);

afterAll(async () => {
  await gitea?.stop();
});

/** The stack's outputs for a pool, from the media-node program run against the fake Hetzner, checked against the merged fleet. */
async function stackOutputs(pool: Record<string, unknown>): Promise<string> {
  const fleetDir = await mkdtemp(join(tmpdir(), 'posbon-fleet-'));
  for (const [path, content] of await host('admin').readTree('main', (p) => p.endsWith('.yaml'))) {
    await mkdir(dirname(join(fleetDir, path)), { recursive: true });
    await writeFile(join(fleetDir, path), content);
  }
  const config = {
    pools: JSON.stringify([{ name: 'hel1', location: 'hel1', region: 'eu-central', serverType: 'ccx23', ...pool }]),
    admin: JSON.stringify({
      sshKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMv2n8c1tq3Zq0x8a9pOq8w1b2c3d4e5f6g7h8i9j0kL ops@posbon'],
      cidrs: ['203.0.113.0/28'],
    }),
    cluster: JSON.stringify({
      server: 'https://10.0.1.2:6443',
      networkId: 4711,
      k3sVersion: 'v1.33.5+k3s1',
      k3sSha256: 'ab'.repeat(32),
    }),
    dns: JSON.stringify({ zone: 'media.posbon.example.org' }),
    fleetDir: join(fleetDir, 'clusters/dev'),
    joinToken: 'K10secret::server:token',
  };
  let outputs: unknown;
  await hetzner.run(
    config,
    () => mediaNodeStack(new pulumi.Config('posbon-media')),
    async (stack) => {
      outputs = { nodes: await valueOf(stack.nodes), retired: await valueOf(stack.retired) };
    },
  );
  const file = join(await mkdtemp(join(tmpdir(), 'posbon-outputs-')), 'outputs.json');
  await writeFile(file, JSON.stringify(outputs));
  return file;
}

function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const env = { POSBON_GIT_TOKEN: gitea.users.bot.token };
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env, cwd: process.cwd() };
  return main(
    [...args, '--env', 'dev', '--host', 'gitea', '--url', gitea.url, '--repo', `${repo.owner}/${repo.repo}`, '--json'],
    io,
  ).then((code) => ({ code, out, err }));
}

async function approveAndMerge(number: number, sha: string): Promise<void> {
  await host('bot').createStatus(sha, { context: VERIFY_CONTEXT, state: 'success', description: 'policies pass' });
  for (const role of ['reviewerA', 'reviewerB'] as const) {
    const response = await fetch(`${gitea.url}/api/v1/repos/${repo.owner}/${repo.repo}/pulls/${number}/reviews`, {
      method: 'POST',
      headers: { Authorization: `token ${gitea.users[role].token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ event: 'APPROVED', body: 'the IPs match the stack', commit_id: sha }),
    });
    expect(response.status).toBe(200);
  }
  await eventually(async () => host('reviewerA').merge(number, sha), 60_000, 250);
}

describe('posbon-gitops media-nodes on Gitea', () => {
  it("proposes the stack's nodes; the pull request merges only with two approvals; retiring a node waits for its drain", async () => {
    const grown = await cli(['media-nodes', '--outputs', await stackOutputs({ count: 2 }), '--stack', 'prod']);
    expect(grown.code).toBe(0);
    const first = JSON.parse(grown.out[0]!);
    expect(first.pullRequest.title).toBe('Media nodes from stack prod: put hel1-1, hel1-2');
    const number = first.pullRequest.number as number;
    const sha = first.pullRequest.head.sha as string;
    const alone = await eventually(
      async () => {
        const error = await host('admin')
          .merge(number, sha)
          .then(
            () => null,
            (e: unknown) => e,
          );
        expect(error).toBeInstanceOf(MergeRefusedError);
        if ((error as Error).message.includes('Please try again later')) throw new Error('still being checked');
        return (error as Error).message;
      },
      60_000,
      250,
    );
    expect(alone).toMatch(/approvals|status/i);
    await approveAndMerge(number, sha);
    const merged = await host('admin').readFile('main', 'clusters/dev/media-nodes/hel1-2.yaml');
    expect(parse(merged!).spec).toMatchObject({ region: 'eu-central', cordoned: false });

    // Retiring hel1-2 without draining it: the stack itself refuses, reading the merged fleet.
    await expect(stackOutputs({ count: 1, retired: [2] })).rejects.toThrow(/hel1-2: its MediaNode is not cordoned/);

    // Step one, reviewed: cordon it.
    const node = parse(merged!);
    await host('bot').createBranch('cordon-hel1-2', 'main');
    const cordoned = stringify({ ...node, spec: { ...node.spec, cordoned: true } });
    const cordon = await host('bot').commitFiles({
      branch: 'cordon-hel1-2',
      message: 'Cordon hel1-2',
      files: [{ path: 'clusters/dev/media-nodes/hel1-2.yaml', content: cordoned }],
    });
    const pr = await host('bot').openPullRequest({
      head: 'cordon-hel1-2',
      base: 'main',
      title: 'Cordon hel1-2',
      body: 'drain before removal',
      labels: [],
    });
    await approveAndMerge(pr.pullRequest.number, cordon);

    // Step two: the stack retires it, and the MediaNode's removal is proposed.
    const retired = await cli([
      'media-nodes',
      '--outputs',
      await stackOutputs({ count: 1, retired: [2] }),
      '--stack',
      'prod',
    ]);
    expect(retired.code).toBe(0);
    const removal = JSON.parse(retired.out[0]!);
    expect(removal.pullRequest.title).toBe('Media nodes from stack prod: remove hel1-2');
    expect(await host('admin').readFile(removal.branch, 'clusters/dev/media-nodes/hel1-2.yaml')).toBeNull();
  });
});
