// What the admin subcommands add to the shared CLI plumbing (lib/cli): their exit codes and errors.
import { EXIT_OK, EXIT_USAGE, firstLine, isUsageError, type CliIo } from '../../../lib/cli/command.js';
import { PosbonError, ConflictError, InputError, NotFoundError } from '../../../lib/errors/index.js';

export { UsageError, type CliIo, type Command } from '../../../lib/cli/command.js';

export const EXIT = {
  ok: EXIT_OK,
  /** The account does not exist, or the change is refused. */
  failed: 1,
  usage: EXIT_USAGE,
  /** The database could not be opened. */
  database: 3,
} as const;

/** Maps an error to its exit code and prints one line. */
export function fail(error: unknown, io: CliIo): number {
  const line = firstLine(error);
  if (isUsageError(error) || error instanceof InputError) return io.err(`error: ${line}`), EXIT.usage;
  if (error instanceof NotFoundError || error instanceof ConflictError || error instanceof PosbonError) return io.err(`refused: ${line}`), EXIT.failed;
  return io.err(`failed: ${line}`), EXIT.database;
}
