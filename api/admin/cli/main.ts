#!/usr/bin/env node
// posbon-admin: recover an admin account on the API's database (the embedded default of `npm start` included).
import { invokedDirectly, processIo, runProgram, usage as usageOf, type CliIo, type Program } from '../../../lib/cli/command.js';
import { resetPasswordCommand } from './reset-password.js';
import { unlockCommand } from './unlock.js';

const PROGRAM: Program = { name: 'npm run admin --', commands: [resetPasswordCommand, unlockCommand], errorPrefix: 'error: ' };

export const usage = (): string => usageOf(PROGRAM);

export const main = (argv: string[], io: CliIo): Promise<number> => runProgram(PROGRAM, argv, io);

if (invokedDirectly(import.meta.url)) process.exitCode = await main(process.argv.slice(2), processIo());
