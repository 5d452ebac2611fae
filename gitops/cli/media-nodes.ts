import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InputError } from '../../lib/errors/index.js';
import { parseFleetTree, readFleetTree, type FleetTree } from '../fleet-repo/tree.js';
import { describeChange, mediaNodeChange, mediaNodeFiles, parseStackOutputs } from '../media-nodes.js';
import { isFleetFile, propose, readBase } from '../propose.js';
import { EXIT, fail, type Command } from './command.js';
import { HOST_FLAGS, HOST_USAGE, hostFrom } from './host-options.js';

const ENV = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

async function readOutputs(path: string, cwd: string) {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(resolve(cwd, path), 'utf8'));
  } catch (error) {
    throw new InputError('--outputs', `cannot read ${path}: ${(error as Error).message.split('\n')[0]}`);
  }
  return parseStackOutputs(raw);
}

export const mediaNodesCommand: Command = {
  name: 'media-nodes',
  summary:
    "turn the media-node stack's outputs into MediaNode files: written into a fleet checkout, or proposed as a pull request",
  usage: `media-nodes --outputs OUTPUTS.json --env ENV [--stack NAME] [--cordon-new] (--out FLEET_DIR | ${HOST_USAGE}) [--json]`,
  async run(args, io) {
    try {
      const { values } = parseArgs({
        args,
        options: {
          ...HOST_FLAGS,
          outputs: { type: 'string' },
          env: { type: 'string' },
          stack: { type: 'string', default: 'media' },
          'cordon-new': { type: 'boolean', default: false },
          out: { type: 'string' },
          json: { type: 'boolean', default: false },
        },
        strict: true,
      });
      if (!values.outputs) throw new InputError('--outputs', 'the JSON of `pulumi stack output --json` is required');
      if (!values.env || !ENV.test(values.env))
        throw new InputError('--env', 'the fleet cluster folder (a DNS label such as dev or prod) is required');
      const outputs = await readOutputs(values.outputs, io.cwd);
      const host = values.out ? null : hostFrom(values, io.env);
      const base = host ? await readBase(host) : null;
      const tree: FleetTree = base ? parseFleetTree(base.files) : await readFleetTree(resolve(io.cwd, values.out!));
      const change = mediaNodeChange(outputs, tree, values.env, { cordonNew: values['cordon-new'] });
      const files = mediaNodeFiles(change);
      if (files.length === 0) {
        io.out(values.json ? JSON.stringify({ files: [] }) : 'no change: the fleet already has these media nodes');
        return EXIT.ok;
      }
      if (!host || !base) {
        const dir = resolve(io.cwd, values.out!);
        for (const f of files) {
          const target = join(dir, f.path);
          if (f.content === null) await rm(target, { force: true });
          else await mkdir(dirname(target), { recursive: true }).then(() => writeFile(target, f.content!));
        }
        if (values.json)
          io.out(JSON.stringify({ files: files.map((f) => ({ path: f.path, deleted: f.content === null })) }));
        else for (const f of files) io.out(`${f.content === null ? 'removed' : 'wrote'} ${f.path}`);
        return EXIT.ok;
      }
      if (!files.every((f) => isFleetFile(f.path)))
        throw new InputError('--env', 'files would fall outside the fleet layout');
      const result = await propose(host, { ...describeChange(change, values.stack), kind: 'MediaNode', files }, base);
      if (values.json) io.out(JSON.stringify(result));
      else
        io.out(
          `${result.created ? 'opened' : 'already open'}: #${result.pullRequest.number} ${result.pullRequest.url} (branch ${result.branch})`,
        );
      return EXIT.ok;
    } catch (error) {
      return fail(error, io);
    }
  },
};
