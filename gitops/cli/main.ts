#!/usr/bin/env node
// posbon-gitops: the fleet's write path from a shell or a CI job.
import type { CliIo, Command } from './command.js';
import { EXIT } from './command.js';
import { mediaNodesCommand } from './media-nodes.js';
import { proposeCommand } from './propose.js';
import { protectCommand } from './protect.js';
import { renderCommand } from './render.js';
import { verifyCommand } from './verify.js';

const COMMANDS: Command[] = [renderCommand, verifyCommand, proposeCommand, protectCommand, mediaNodesCommand];

export function usage(): string {
  return ['usage: posbon-gitops <command> [options]', '', ...COMMANDS.map((c) => `  ${c.usage}\n      ${c.summary}`)].join('\n');
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
  const io: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l), env: process.env, cwd: process.cwd() };
  process.exitCode = await main(process.argv.slice(2), io);
}
