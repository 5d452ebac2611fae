import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InputError } from '../../lib/errors/index.js';
import { readFleetTree } from '../fleet-repo/tree.js';
import { formatViolation } from '../verify/policy.js';
import { postVerifyStatus, verifyOpenPullRequests, type StatusOptions } from '../verify/open-pull-requests.js';
import { verify, type VerifyInput } from '../verify/verify.js';
import { EXIT, fail, type Command } from './command.js';
import { HOST_FLAGS, HOST_USAGE, hostFrom } from './host-options.js';

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check a fleet tree against the policies, and a pull request (or every open one) against the two-person rule',
  usage: `verify FLEET_DIR [--base BASE_DIR] [--pr N --bot LOGIN [--status]] [--json] | verify --open --bot LOGIN [--status] [--target-url URL] ${HOST_USAGE}`,
  async run(args, io) {
    try {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: {
          ...HOST_FLAGS,
          base: { type: 'string' },
          pr: { type: 'string' },
          open: { type: 'boolean', default: false },
          bot: { type: 'string' },
          status: { type: 'boolean', default: false },
          'target-url': { type: 'string' },
          json: { type: 'boolean', default: false },
        },
        strict: true,
      });
      const status: StatusOptions = { post: values.status, ...(values['target-url'] ? { targetUrl: values['target-url'] } : {}) };
      const bot = () => {
        const login = values.bot ?? io.env.POSBON_GIT_BOT;
        if (!login) throw new InputError('--bot', 'the login that opens proposals is required (or POSBON_GIT_BOT)');
        return login;
      };
      if (values.open) {
        if (positionals.length > 0 || values.pr !== undefined || values.base !== undefined) {
          throw new InputError('--open', 'reads every open pull request from the host; give no FLEET_DIR, --base or --pr');
        }
        const verdicts = await verifyOpenPullRequests(hostFrom(values, io.env), bot(), status);
        if (values.json) io.out(JSON.stringify(verdicts));
        else for (const v of verdicts) io.out(`#${v.number} ${v.headSha.slice(0, 7)} ${v.outcome}${v.report && !v.report.ok ? `: ${formatViolation(v.report.violations[0]!)}` : ''}`);
        return verdicts.some((v) => v.outcome === 'fail') ? EXIT.failed : EXIT.ok;
      }
      if (positionals.length !== 1) throw new InputError('FLEET_DIR', 'exactly one fleet folder is required');
      const input: VerifyInput = { head: await readFleetTree(resolve(io.cwd, positionals[0]!)) };
      if (values.base) input.base = await readFleetTree(resolve(io.cwd, values.base));
      const host = values.pr !== undefined ? hostFrom(values, io.env) : null;
      if (host) {
        const number = Number(values.pr);
        if (!Number.isInteger(number) || number <= 0) throw new InputError('--pr', `${values.pr} is not a pull request number`);
        input.pullRequest = { host, number, bot: bot() };
      }
      const report = await verify(input);
      if (host && report.pullRequest) {
        const description = report.ok ? 'policies and two-person rule pass' : formatViolation(report.violations[0]!);
        await postVerifyStatus(host, report.pullRequest.headSha, report.ok ? 'success' : 'failure', description, status);
      }
      if (values.json) io.out(JSON.stringify(report));
      else if (report.ok) io.out(`ok: ${input.head.resources.length} resources pass${report.pullRequest ? `; approved by ${report.pullRequest.approvers.join(', ')}` : ''}`);
      else for (const v of report.violations) io.out(formatViolation(v));
      if (!report.ok && !values.json) io.err(`verify: ${report.violations.length} violation(s)`);
      return report.ok ? EXIT.ok : EXIT.failed;
    } catch (error) {
      return fail(error, io);
    }
  },
};
