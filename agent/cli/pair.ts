// `pair [--code XXXX-XXXX | --link posbon://pair?...] [--api URL] [--label L]`: trades the school admin's pairing code
// for the agent's tokens, kept in a file only this user can read (POSBON_AGENT_CREDENTIALS, else the user's config
// folder). The code may also come from POSBON_PAIRING_CODE or --code-file; a flag is fine for it because it is
// single use and spent the moment it works.
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { UsageError } from '../../lib/cli/command.js';
import { credentialsPath, pairAgent } from '../credentials.js';
import { fail, report, type Command } from './command.js';

export class PairUsageError extends UsageError {}

/** `posbon://pair?api=<url>&code=<code>`, as the console's QR and pairing link carry it. */
export function parsePairingLink(link: string): { api: string; code: string } {
  const url = URL.parse(link);
  const api = url?.searchParams.get('api');
  const code = url?.searchParams.get('code');
  if (!url || url.protocol !== 'posbon:' || !api || !code) throw new PairUsageError('--link: expected posbon://pair?api=<url>&code=<code> from the console');
  return { api, code };
}

export async function pairCommand(args: string[]): Promise<{ schoolId: string; agentId: string; path: string }> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      code: { type: 'string' },
      'code-file': { type: 'string' },
      link: { type: 'string' },
      api: { type: 'string' },
      label: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const fromLink = values.link ? parsePairingLink(values.link) : undefined;
  const fromFile = values['code-file'] ? (await readFile(values['code-file'], 'utf8')).trim() : undefined;
  const code = values.code ?? fromLink?.code ?? fromFile ?? process.env.POSBON_PAIRING_CODE;
  if (!code) throw new PairUsageError('a pairing code is required: --code, --link, --code-file or POSBON_PAIRING_CODE (the school admin creates one in the console)');
  const apiUrl = values.api ?? fromLink?.api ?? process.env.POSBON_API_URL;
  if (!apiUrl) throw new PairUsageError('the Posbon API is required: --api URL, --link or POSBON_API_URL');
  return pairAgent({ apiUrl, code, label: values.label ?? hostname().slice(0, 80), path: credentialsPath() });
}

/** `--json` is the agent's one output switch; the rest is pairCommand's. */
export const withoutJson = (args: string[]): { json: boolean; rest: string[] } => ({ json: args.includes('--json'), rest: args.filter((a) => a !== '--json') });

export const pairCli: Command = {
  name: 'pair',
  summary: 'pair with a school admin\'s one-time code (or the console\'s link); tokens kept in a file only this user reads',
  usage: 'pair [--code C | --link L | --code-file F] [--api URL] [--label L] [--json]',
  async run(args, io) {
    try {
      const { json, rest } = withoutJson(args);
      const paired = await pairCommand(rest);
      return report(io, json, paired, (p) => [`paired with ${p.schoolId} as agent ${p.agentId}; credentials in ${p.path}`]);
    } catch (error) {
      return fail(error, io);
    }
  },
};
