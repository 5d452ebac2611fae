#!/usr/bin/env node
// posbon-admin: recover an admin account on the API's database (the embedded default of `npm start` included).
import { EXIT, type CliIo, type Command } from './command.js';
import { resetPasswordCommand } from './reset-password.js';
import { unlockCommand } from './unlock.js';

const COMMANDS: Command[] = [resetPasswordCommand, unlockCommand];

export function usage(): string {
  return ['usage: npm run admin -- <command> [options]', '', ...COMMANDS.map((c) => `  ${c.usage}\n      ${c.summary}`)].join('\n');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.out(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`error: unknown command ${name}; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    return EXIT.usage;
  }
  return command.run(rest, io);
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  const io: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l), env: process.env };
  process.exitCode = await main(process.argv.slice(2), io);
}
