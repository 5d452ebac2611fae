// What the agent's subcommands share on top of lib/cli: exit codes, the one error line, flags read the same way in
// every command, the API client, and output as lines for a person or one JSON document (`--json`) for a script.
import { readFile } from 'node:fs/promises';
import { EXIT_OK, EXIT_USAGE, firstLine, isUsageError, UsageError, type CliIo } from '../../lib/cli/command.js';
import { ApiRefused, PosbonClient } from '../api-client.js';
import { DeviceProblem } from '../submit.js';

export { UsageError, type CliIo, type Command } from '../../lib/cli/command.js';

export const EXIT = {
  ok: EXIT_OK,
  unforeseen: 1,
  usage: EXIT_USAGE,
  /** A device or mapping problem to fix at the school. */
  device: 3,
  /** The API refused. */
  refused: 4,
  /** The API could not be reached. */
  unreachable: 5,
} as const;

export const ERROR_PREFIX = 'posbon-agent: ';

/** Maps an error to its exit code and prints one line. */
export function fail(error: unknown, io: CliIo): number {
  io.err(`${ERROR_PREFIX}${firstLine(error)}`);
  if (isUsageError(error)) return EXIT.usage;
  if (error instanceof DeviceProblem) return EXIT.device;
  if (error instanceof ApiRefused) return error.status === 0 ? EXIT.unreachable : EXIT.refused;
  return EXIT.unforeseen;
}

/** `--json` prints the whole outcome as one JSON document; otherwise `lines` says it to a person. */
export function report<T>(io: CliIo, json: boolean | undefined, outcome: T, lines: (outcome: T) => string[]): number {
  if (json) io.out(JSON.stringify(outcome, null, 2));
  else for (const line of lines(outcome)) io.out(line);
  return EXIT.ok;
}

export const jsonOption = { json: { type: 'boolean' } } as const;
export const passwordOption = { 'password-file': { type: 'string' } } as const;

export function portOf(value: string | undefined, flag: string): number | undefined;
export function portOf(value: string | undefined, flag: string, fallback: number): number;
export function portOf(value: string | undefined, flag: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--${flag}: must be a port number (1-65535), got ${JSON.stringify(value)}`);
  return port;
}

export const required = (value: string | undefined, flag: string): string => {
  if (!value) throw new UsageError(`--${flag} is required`);
  return value;
};

/** A secret from a file (a flag) or the environment, never from a flag's value: shell history and `ps` show those. */
export async function secret(io: CliIo, env: string, file: string | undefined, what: string): Promise<string | undefined> {
  if (file) {
    try {
      return (await readFile(file, 'utf8')).trim();
    } catch (error) {
      throw new UsageError(`${what}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  return io.env[env] || undefined;
}

/** The device's password: POSBON_NVR_PASSWORD or `--password-file`. */
export const devicePassword = (io: CliIo, file: string | undefined): Promise<string | undefined> => secret(io, 'POSBON_NVR_PASSWORD', file, 'device password');

export async function apiClient(io: CliIo): Promise<PosbonClient> {
  const url = io.env.POSBON_API_URL;
  if (!url) throw new UsageError('POSBON_API_URL is not set: the Posbon API the agent reports to');
  const token = await secret(io, 'POSBON_AGENT_TOKEN', io.env.POSBON_AGENT_TOKEN_FILE, 'agent token');
  if (!token) throw new UsageError('no agent token: set POSBON_AGENT_TOKEN or POSBON_AGENT_TOKEN_FILE (a school admin issues one)');
  return new PosbonClient(url, token);
}
