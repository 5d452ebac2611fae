import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { InputError } from '../../lib/errors/index.js';
import { propose, type ProposedChange } from '../propose.js';
import { EXIT, fail, type Command } from './command.js';
import { HOST_FLAGS, HOST_USAGE, hostFrom } from './host-options.js';

const changeSchema = z.object({
  title: z.string().min(1),
  summary: z.string().default(''),
  kind: z.string().min(1),
  school: z.string().min(1).optional(),
  files: z.array(z.object({ path: z.string().min(1), content: z.string().nullable() })).min(1),
  diff: z.string().optional(),
  requestedBy: z.object({ name: z.string().min(1), email: z.string().email() }).optional(),
});

async function readChange(path: string, cwd: string): Promise<ProposedChange> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(resolve(cwd, path), 'utf8'));
  } catch (error) {
    throw new InputError('--change', `cannot read ${path}: ${(error as Error).message}`);
  }
  const parsed = changeSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError('--change', `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const { school, requestedBy, diff, ...rest } = parsed.data;
  return { ...rest, ...(school ? { school } : {}), ...(requestedBy ? { requestedBy } : {}), ...(diff !== undefined ? { diff } : {}) };
}

export const proposeCommand: Command = {
  name: 'propose',
  summary: 'open (or find) the pull request for a fleet change, with the rendered diff of the base branch and the change',
  usage: `propose --change CHANGE.json [--diff-file FILE] [--json] ${HOST_USAGE}`,
  async run(args, io) {
    try {
      const { values } = parseArgs({
        args,
        options: { ...HOST_FLAGS, change: { type: 'string' }, 'diff-file': { type: 'string' }, json: { type: 'boolean', default: false } },
        strict: true,
      });
      if (!values.change) throw new InputError('--change', 'a change file is required');
      const change = await readChange(values.change, io.cwd);
      if (values['diff-file']) change.diff = await readFile(resolve(io.cwd, values['diff-file']), 'utf8');
      const result = await propose(hostFrom(values, io.env), change);
      if (values.json) io.out(JSON.stringify(result));
      else io.out(`${result.created ? 'opened' : 'already open'}: #${result.pullRequest.number} ${result.pullRequest.url} (branch ${result.branch})`);
      return EXIT.ok;
    } catch (error) {
      return fail(error, io);
    }
  },
};
