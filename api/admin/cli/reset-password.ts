import { parseArgs } from 'node:util';
import { NotFoundError } from '../../../lib/errors/index.js';
import { EXIT, fail, UsageError, type Command } from './command.js';
import { openAdminDatabase } from './database.js';

export const resetPasswordCommand: Command = {
  name: 'reset-password',
  summary: 'give an account a new generated password (and a new TOTP secret where its role needs one), shown once; ends its sessions and lifts the throttle',
  usage: 'reset-password <username> [--json]',
  async run(args, io) {
    try {
      const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, allowPositionals: true, strict: true });
      if (positionals.length !== 1) throw new UsageError('reset-password takes exactly one username');
      const username = positionals[0]!;
      const db = await openAdminDatabase(io.env);
      try {
        const account = await db.accounts.byUsername(username);
        if (!account) throw new NotFoundError('username', `no account ${username}`);
        const reset = await db.accounts.resetCredentials(account.id);
        if (values.json) {
          io.out(JSON.stringify({ username, password: reset.initialPassword, totpUri: reset.totpUri, endedSessions: reset.revoked.sessions.length }));
        } else {
          io.out(`username  ${username}`);
          io.out(`password  ${reset.initialPassword}`);
          if (reset.totpUri) io.out(`TOTP      ${reset.totpUri}`);
          io.out(`shown once; ${reset.revoked.sessions.length} session(s) ended; the password must be changed at the next login`);
        }
        return EXIT.ok;
      } finally {
        await db.close();
      }
    } catch (error) {
      return fail(error, io);
    }
  },
};
