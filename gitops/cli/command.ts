// What the gitops subcommands add to the shared CLI plumbing (lib/cli): their exit codes and errors.
import { EXIT_OK, EXIT_USAGE, firstLine, isUsageError, type CliIo } from '../../lib/cli/command.js';
import { ConflictError, InputError } from '../../lib/errors/index.js';
import { HostError, MergeRefusedError } from '../hosts/git-host.js';

export type { CliIo, Command } from '../../lib/cli/command.js';

export const EXIT = {
  ok: EXIT_OK,
  /** verify found violations, or the host refused. */
  failed: 1,
  usage: EXIT_USAGE,
  conflict: 3,
  host: 4,
} as const;

/** Maps an error to its exit code and prints one line. */
export function fail(error: unknown, io: CliIo): number {
  const line = firstLine(error);
  if (error instanceof InputError || isUsageError(error)) return io.err(`error: ${line}`), EXIT.usage;
  if (error instanceof ConflictError) return io.err(`conflict: ${line}`), EXIT.conflict;
  if (error instanceof MergeRefusedError) return io.err(`refused: ${line}`), EXIT.failed;
  if (error instanceof HostError) return io.err(`git host: ${line}`), EXIT.host;
  // fetch() rejects a connection it cannot make with a TypeError whose cause is the socket's error.
  if (error instanceof TypeError && error.cause instanceof Error) return io.err(`git host unreachable: ${line}`), EXIT.host;
  return io.err(`failed: ${line}`), EXIT.host;
}
