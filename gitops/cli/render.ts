import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InputError } from '../../lib/errors/index.js';
import { readFleetTree } from '../fleet-repo/tree.js';
import { renderDiff } from '../render/diff.js';
import { renderFleet, type FleetRender } from '../render/render.js';
import { EXIT, fail, type Command } from './command.js';

/** Writes a render into `dir`, removing node configs of nodes no longer in the fleet. */
export async function writeRender(dir: string, rendered: FleetRender): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const entry of await readdir(dir)) {
    if (/^mediamtx-.*\.yml$/.test(entry) && !rendered.files.has(entry)) await rm(join(dir, entry));
  }
  for (const [name, text] of rendered.files) await writeFile(join(dir, name), text);
}

async function renderDir(dir: string, cwd: string, flag: string): Promise<FleetRender> {
  const tree = await readFleetTree(resolve(cwd, dir)).catch((error: NodeJS.ErrnoException) => {
    throw new InputError(flag, `cannot read ${dir}: ${error.code ?? error.message}`);
  });
  return renderFleet(tree);
}

export const renderCommand: Command = {
  name: 'render',
  summary: "each media node's MediaMTX config, credentials redacted; with --against, the diff a reviewer reads",
  usage: 'render FLEET_DIR [--out DIR] [--against BASE_DIR] [--json]',
  async run(args, io) {
    try {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { out: { type: 'string' }, against: { type: 'string' }, json: { type: 'boolean', default: false } },
        strict: true,
      });
      if (positionals.length !== 1) throw new InputError('FLEET_DIR', 'exactly one fleet folder is required');
      const head = await renderDir(positionals[0]!, io.cwd, 'FLEET_DIR');
      const base = values.against ? await renderDir(values.against, io.cwd, '--against') : null;
      if (values.out) await writeRender(resolve(io.cwd, values.out), head);
      const diff = base ? renderDiff(base, head) : null;
      const nodes = head.nodes.map((n) => ({ node: n.node, file: n.file, schools: n.schools.length, cameras: n.cameraCount, sealedBytes: n.sealedBytes }));
      if (values.json) io.out(JSON.stringify({ nodes, placements: head.placements, ...(diff !== null ? { diff } : {}) }));
      else if (diff !== null) io.out(diff.trimEnd() || '(no change to any media node)');
      else for (const n of nodes) io.out(`${n.file}: ${n.cameras} cameras of ${n.schools} schools, about ${n.sealedBytes} bytes sealed`);
      return EXIT.ok;
    } catch (error) {
      return fail(error, io);
    }
  },
};
