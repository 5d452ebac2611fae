// One winston JSON logger for every Posbon process, one event per line; secrets are redacted here, not by callers.
import winston from 'winston';
import { redact, SECRET_KEY, REDACTED } from './redaction.js';

export { redact, redactText, redactPathSegment, REDACTED } from './redaction.js';

export type Logger = winston.Logger;

export const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The level from the environment: `POSBON_LOG_LEVEL`, else the older names the operator (`LOG_LEVEL`) and the probe
 * (`POSBON_PROBE_LOG_LEVEL`) read, so existing deployments keep their level.
 */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const named = env.POSBON_LOG_LEVEL ?? env.LOG_LEVEL ?? env.POSBON_PROBE_LOG_LEVEL;
  if (named === undefined || named === '') return 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(named)) throw new Error(`POSBON_LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, got ${named}`);
  return named as LogLevel;
}

const redaction = winston.format((info) => {
  for (const key of Reflect.ownKeys(info)) {
    if (typeof key !== 'string' || key === 'level') continue;
    const record = info as Record<string, unknown>;
    record[key] = SECRET_KEY.test(key) ? REDACTED : redact(record[key]);
  }
  return info;
});

export interface LoggerOptions {
  /** The process or part that logs, in every line's `component` field. */
  component: string;
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  stream?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  return winston.createLogger({
    level: options.level ?? logLevelFromEnv(),
    defaultMeta: { component: options.component },
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      redaction(),
      winston.format.timestamp(),
      winston.format.json(),
    ),
    transports: [transport],
  });
}

/** A logger that writes nothing, for tests and tools that have no use for the lines. */
export const quietLogger = (): Logger => winston.createLogger({ silent: true });
