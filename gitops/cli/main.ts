#!/usr/bin/env node
// posbon-gitops: the fleet's write path from a shell or a CI job.
import { invokedDirectly, processIo, runProgram, usage as usageOf, type CliIo, type Program } from '../../lib/cli/command.js';
import { mediaNodesCommand } from './media-nodes.js';
import { proposeCommand } from './propose.js';
import { protectCommand } from './protect.js';
import { renderCommand } from './render.js';
import { verifyCommand } from './verify.js';

const PROGRAM: Program = {
  name: 'posbon-gitops',
  commands: [renderCommand, verifyCommand, proposeCommand, protectCommand, mediaNodesCommand],
  errorPrefix: 'error: ',
};

export const usage = (): string => usageOf(PROGRAM);

export const main = (argv: string[], io: CliIo): Promise<number> => runProgram(PROGRAM, argv, io);

if (invokedDirectly(import.meta.url)) process.exitCode = await main(process.argv.slice(2), processIo());
