import { parseArgs } from 'node:util';
import { NotFoundError } from '../../../lib/errors/index.js';
import { EXIT, fail, UsageError, type Command } from './command.js';
import { openAdminDatabase } from './database.js';

export const unlockCommand: Command = {
  name: 'unlock',
  summary: 'lift an account\'s login throttle, keeping its password',
  usage: 'unlock <username>',
  async run(args, io) {
    try {
      const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
      if (positionals.length !== 1) throw new UsageError('unlock takes exactly one username');
      const username = positionals[0]!;
      const db = await openAdminDatabase(io.env);
      try {
        const account = await db.accounts.byUsername(username);
        if (!account) throw new NotFoundError('username', `no account ${username}`);
        await db.accounts.unlock(account.id);
        io.out(`unlocked ${username}`);
        return EXIT.ok;
      } finally {
        await db.close();
      }
    } catch (error) {
      return fail(error, io);
    }
  },
};
