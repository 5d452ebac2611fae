// The plumbing every Posbon CLI shares: one module per subcommand, an explicit exit code, one line on failure.
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

export interface Program {
  /** How the program is invoked, e.g. `posbon-gitops`. */
  name: string;
  commands: Command[];
  /** Put before every error line, e.g. `error: `. */
  errorPrefix: string;
}

/** Exit codes all CLIs agree on; each adds its own from 3 up. */
export const EXIT_OK = 0;
export const EXIT_USAGE = 2;

/** A bad argument: exit 2. */
export class UsageError extends Error {}

/** A usage error of ours or of `node:util` parseArgs (unknown option, missing value). */
export const isUsageError = (error: unknown): boolean =>
  error instanceof UsageError || /^ERR_PARSE_ARGS/.test((error as NodeJS.ErrnoException | undefined)?.code ?? '');

/** The first line of an error's message: a CLI prints one line. */
export const firstLine = (error: unknown): string => {
  const message = (error as { message?: unknown } | undefined)?.message;
  return (typeof message === 'string' ? message : String(error)).split('\n')[0]!;
};

export function usage(program: Program): string {
  return [`usage: ${program.name} <command> [options]`, '', ...program.commands.map((c) => `  ${c.usage}\n      ${c.summary}`)].join('\n');
}

/** Runs the subcommand `argv[0]` names; without one prints the usage (exit 2), with `--help` too (exit 0). */
export async function runProgram(program: Program, argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.out(usage(program));
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = program.commands.find((c) => c.name === name);
  if (!command) {
    io.err(`${program.errorPrefix}unknown command ${name}; commands: ${program.commands.map((c) => c.name).join(', ')}`);
    return EXIT_USAGE;
  }
  return command.run(rest, io);
}

/** True when the module of `importMetaUrl` is the script node was started with, not an import. */
export const invokedDirectly = (importMetaUrl: string): boolean =>
  process.argv[1] !== undefined && importMetaUrl === new URL(`file://${process.argv[1]}`).href;

export const processIo = (): CliIo => ({ out: (l) => console.log(l), err: (l) => console.error(l), env: process.env, cwd: process.cwd() });
