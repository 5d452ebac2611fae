import { parseArgs } from 'node:util';
import { InputError } from '../errors.js';
import { protect } from '../protect.js';
import { EXIT, fail, type Command } from './command.js';
import { HOST_FLAGS, HOST_USAGE, hostFrom } from './host-options.js';

const list = (value: string | undefined) => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);

export const protectCommand: Command = {
  name: 'protect',
  summary: 'require two approvals, dismiss stale ones, block on rejections, require posbon/verify, write CODEOWNERS',
  usage: `protect --owners A,B [--media-node-owners C,D] [--branch main] [--json] ${HOST_USAGE}`,
  async run(args, io) {
    try {
      const { values } = parseArgs({
        args,
        options: { ...HOST_FLAGS, owners: { type: 'string' }, 'media-node-owners': { type: 'string' }, branch: { type: 'string' }, json: { type: 'boolean', default: false } },
        strict: true,
      });
      const fleet = list(values.owners);
      if (fleet.length === 0) throw new InputError('--owners: at least one reviewer login is required');
      const result = await protect(hostFrom(values, io.env), { fleet, mediaNodes: list(values['media-node-owners']) }, values.branch);
      if (values.json) io.out(JSON.stringify(result));
      else io.out(`protected ${result.branch}: ${result.rule.requiredApprovals} approvals, stale dismissed, rejections block, requires ${result.rule.requiredStatusChecks.join(', ')}`);
      return EXIT.ok;
    } catch (error) {
      return fail(error, io);
    }
  },
};
