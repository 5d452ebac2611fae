// posbon-gitops media-nodes: the stack's (mocked) outputs become MediaNode files that verify, render and are proposed.
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { parse, stringify } from 'yaml';
import { FakeGitHub } from '../test/fakes/github.js';
import { FakeHetzner, valueOf } from '../test/fakes/hcloud.js';
import { mediaNodeStack } from '../pulumi/program.js';
import type { CliIo } from './cli/command.js';
import { main } from './cli/main.js';
import { readFleetTree } from './fleet-repo/tree.js';
import { GitHubHost } from './hosts/github.js';

const EXAMPLE = join(process.cwd(), 'gitops/example');
const hetzner = new FakeHetzner();

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env, cwd: process.cwd() };
  return main(args, io).then((code) => ({ code, out, err }));
}

/** `pulumi stack output --json` of the media-node program run against the fake Hetzner. */
async function stackOutputs(pool: Record<string, unknown>, fleetDir: string): Promise<string> {
  const config = {
    pools: JSON.stringify([{ name: 'fsn1', location: 'fsn1', region: 'eu-central', serverType: 'ccx23', ...pool }]),
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
    fleetDir,
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

async function fleetCopy(from = EXAMPLE): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'posbon-fleet-'));
  await cp(from, dir, { recursive: true });
  return dir;
}

describe('posbon-gitops media-nodes', () => {
  it('writes one MediaNode per stack node that passes verify and renders its shard', async () => {
    const outputs = await stackOutputs({ count: 2 }, join(EXAMPLE, 'clusters/dev'));
    const nodes = JSON.parse(await readFile(outputs, 'utf8')).nodes as Array<{ name: string; ipv4: string }>;
    const fleet = await fleetCopy();

    expect(await cli(['media-nodes', '--outputs', outputs, '--env', 'dev', '--out', fleet])).toEqual({
      code: 0,
      out: ['wrote clusters/dev/media-nodes/fsn1-1.yaml', 'wrote clusters/dev/media-nodes/fsn1-2.yaml'],
      err: [],
    });
    expect(parse(await readFile(join(fleet, 'clusters/dev/media-nodes/fsn1-1.yaml'), 'utf8'))).toEqual({
      apiVersion: 'posbon.io/v1alpha1',
      kind: 'MediaNode',
      metadata: { name: 'fsn1-1', labels: { 'app.kubernetes.io/managed-by': 'pulumi', 'posbon.io/pool': 'fsn1' } },
      spec: {
        region: 'eu-central',
        egressIPs: [nodes[0]!.ipv4],
        webrtcBaseUrl: 'https://fsn1-1.media.posbon.example.org:8889',
        hlsBaseUrl: 'https://fsn1-1.media.posbon.example.org:8888',
        capacityWeight: 100,
        maxCameras: 5000,
        cordoned: false,
      },
    });

    expect(await cli(['verify', fleet, '--base', EXAMPLE])).toMatchObject({
      code: 0,
      out: [expect.stringMatching(/^ok: \d+ resources pass$/)],
    });
    const rendered = join(fleet, '.rendered');
    const render = await cli(['render', fleet, '--out', rendered, '--json']);
    expect(render.code).toBe(0);
    expect(JSON.parse(render.out[0]!).nodes.map((n: { node: string }) => n.node)).toEqual([
      'fsn1-1',
      'fsn1-2',
      'fsn1-a',
      'fsn1-b',
    ]);
    const shard = parse(await readFile(join(rendered, 'mediamtx-fsn1-1.yml'), 'utf8'));
    expect(shard.webrtcAdditionalHosts).toEqual([nodes[0]!.ipv4]);

    expect(await cli(['media-nodes', '--outputs', outputs, '--env', 'dev', '--out', fleet])).toEqual({
      code: 0,
      out: ['no change: the fleet already has these media nodes'],
      err: [],
    });
  });

  it("removes a retired node's MediaNode once it was cordoned, which verify accepts against the base", async () => {
    const fleet = await fleetCopy();
    await cli([
      'media-nodes',
      '--outputs',
      await stackOutputs({ count: 2 }, join(fleet, 'clusters/dev')),
      '--env',
      'dev',
      '--out',
      fleet,
    ]);
    const path = join(fleet, 'clusters/dev/media-nodes/fsn1-2.yaml');
    const node = parse(await readFile(path, 'utf8'));
    await writeFile(path, stringify({ ...node, spec: { ...node.spec, cordoned: true } }));
    const base = await fleetCopy(fleet);

    const retiredOutputs = await stackOutputs({ count: 1, retired: [2] }, join(fleet, 'clusters/dev'));
    expect(await cli(['media-nodes', '--outputs', retiredOutputs, '--env', 'dev', '--out', fleet])).toEqual({
      code: 0,
      out: ['removed clusters/dev/media-nodes/fsn1-2.yaml'],
      err: [],
    });
    expect((await readFleetTree(fleet)).resources.map((r) => r.name)).not.toContain('fsn1-2');
    expect((await cli(['verify', fleet, '--base', base])).code).toBe(0);
  });

  it('proposes the MediaNodes as a pull request through the propose path, with the rendered diff', async () => {
    const users = ['root-admin', 'posbon-bot'].map((login, i) => ({
      login,
      email: `${login}@posbon.test`,
      token: `ghp_media_nodes_${i}`,
    }));
    const fake = new FakeGitHub(users);
    await fake.start();
    try {
      const host = (token: string) => GitHubHost.create({ url: fake.url, owner: fake.owner, repo: fake.repo, token });
      const example = await readFleetTree(EXAMPLE);
      await host(users[0]!.token).commitFiles({
        branch: 'main',
        message: 'Example fleet',
        files: [...example.files].map(([path, content]) => ({ path, content })),
      });
      const outputs = await stackOutputs({ count: 1 }, join(EXAMPLE, 'clusters/dev'));
      const env = { POSBON_GIT_TOKEN: users[1]!.token };
      const args = [
        'media-nodes',
        '--outputs',
        outputs,
        '--env',
        'dev',
        '--stack',
        'prod',
        '--host',
        'github',
        '--url',
        fake.url,
        '--repo',
        `${fake.owner}/${fake.repo}`,
        '--json',
      ];

      const proposed = await cli(args, env);
      expect(proposed.code).toBe(0);
      const result = JSON.parse(proposed.out[0]!);
      expect({ created: result.created, title: result.pullRequest.title }).toEqual({
        created: true,
        title: 'Media nodes from stack prod: put fsn1-1',
      });
      expect(result.diff).toContain('+++ b/mediamtx-fsn1-1.yml');
      const file = await host(users[1]!.token).readFile(result.branch, 'clusters/dev/media-nodes/fsn1-1.yaml');
      expect(parse(file!).spec.egressIPs).toEqual([JSON.parse(await readFile(outputs, 'utf8')).nodes[0].ipv4]);
      expect(JSON.parse((await cli(args, env)).out[0]!).created).toBe(false);
    } finally {
      await fake.stop();
    }
  });

  it('names the field of a bad outputs file in one line', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'posbon-outputs-')), 'outputs.json');
    await writeFile(file, JSON.stringify({ nodes: [{ name: 'fsn1-1' }] }));
    const result = await cli(['media-nodes', '--outputs', file, '--env', 'dev', '--out', EXAMPLE]);
    expect(result).toEqual({ code: 2, out: [], err: [expect.stringMatching(/^error: --outputs: nodes\.0\.pool: /)] });
  });
});
