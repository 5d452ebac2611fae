import { parseArgs } from 'node:util';
import { InputError } from '../../lib/errors/index.js';
import type { BotIdentity } from '../hosts/git-host.js';
import { protect } from '../protect.js';
import { EXIT, fail, type Command } from './command.js';
import { HOST_FLAGS, HOST_USAGE, hostFrom } from './host-options.js';

const list = (value: string | undefined) => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);

function botFrom(values: { bot?: string | undefined; 'bot-app-id'?: string | undefined }, env: NodeJS.ProcessEnv): BotIdentity {
  const login = values.bot ?? env.POSBON_GIT_BOT;
  if (!login) throw new InputError('--bot', 'the login that opens proposals is required (or POSBON_GIT_BOT)');
  const appId = values['bot-app-id'] ?? env.POSBON_GIT_APP_ID;
  if (appId === undefined) return { login };
  if (!/^[1-9][0-9]*$/.test(appId)) throw new InputError('--bot-app-id', `${appId} is not a GitHub App id`);
  return { login, appId: Number(appId) };
}

export const protectCommand: Command = {
  name: 'protect',
  summary: 'require two owner approvals and the bot\'s posbon/verify, block admin overrides and workflow edits, let only the bot write posbon/ branches',
  usage: `protect --owners A,B --bot LOGIN [--bot-app-id N] [--media-node-owners C,D] [--branch main] [--json] ${HOST_USAGE}`,
  async run(args, io) {
    try {
      const { values } = parseArgs({
        args,
        options: {
          ...HOST_FLAGS,
          owners: { type: 'string' },
          'media-node-owners': { type: 'string' },
          bot: { type: 'string' },
          'bot-app-id': { type: 'string' },
          branch: { type: 'string' },
          json: { type: 'boolean', default: false },
        },
        strict: true,
      });
      const fleet = list(values.owners);
      if (fleet.length === 0) throw new InputError('--owners', 'at least one reviewer login is required');
      const result = await protect(hostFrom(values, io.env), { fleet, mediaNodes: list(values['media-node-owners']) }, botFrom(values, io.env), values.branch);
      if (values.json) io.out(JSON.stringify(result));
      else io.out(`protected ${result.branch}: ${result.rule.requiredApprovals} owner approvals, stale dismissed, rejections block, requires ${result.rule.requiredStatusChecks.join(', ')}; only ${result.rule.checksFrom.login} writes ${result.botBranches}; CI: ${result.workflows.map((w) => w.path).join(', ')}`);
      return EXIT.ok;
    } catch (error) {
      return fail(error, io);
    }
  },
};
