// What every admin subcommand shares: its shape, exit codes, and how a failure becomes one line.
import { PosbonError, ConflictError, InputError, NotFoundError } from '../../../lib/errors/index.js';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

export const EXIT = {
  ok: 0,
  /** The account does not exist, or the change is refused. */
  failed: 1,
  usage: 2,
  /** The database could not be opened. */
  database: 3,
} as const;

/** A bad argument, reported as usage. */
export class UsageError extends Error {}

/** Maps an error to its exit code and prints one line. */
export function fail(error: unknown, io: CliIo): number {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
  if (error instanceof UsageError || error instanceof InputError) return io.err(`error: ${message}`), EXIT.usage;
  if (error instanceof NotFoundError || error instanceof ConflictError || error instanceof PosbonError) return io.err(`refused: ${message}`), EXIT.failed;
  return io.err(`failed: ${message}`), EXIT.database;
}
