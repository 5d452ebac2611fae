// What every subcommand shares: its shape, exit codes, and how a failure becomes one line.
import { ConflictError, InputError } from '../../lib/errors/index.js';
import { HostError, MergeRefusedError } from '../hosts/git-host.js';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

export const EXIT = {
  ok: 0,
  /** verify found violations, or the host refused. */
  failed: 1,
  usage: 2,
  conflict: 3,
  host: 4,
} as const;

/** Maps an error to its exit code and prints one line. */
export function fail(error: unknown, io: CliIo): number {
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0]!;
  if (error instanceof InputError) return io.err(`error: ${firstLine}`), EXIT.usage;
  if (error instanceof ConflictError) return io.err(`conflict: ${firstLine}`), EXIT.conflict;
  if (error instanceof MergeRefusedError) return io.err(`refused: ${firstLine}`), EXIT.failed;
  if (error instanceof HostError) return io.err(`git host: ${firstLine}`), EXIT.host;
  if (error instanceof TypeError && /fetch failed/.test(message)) return io.err(`git host unreachable: ${firstLine}`), EXIT.host;
  return io.err(`failed: ${firstLine}`), EXIT.host;
}
