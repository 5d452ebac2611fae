// Structured JSON logs, one event per line; fields that may hold secrets are redacted by the logger itself.
import winston from 'winston';

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|confkey|credential/i;
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)[^/@\s:]+:[^/@\s]+@/gi;

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(URL_CREDENTIALS, '$1***:***@');
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1)]));
}

const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level') continue;
    (info as Record<string, unknown>)[key] = SECRET_KEY.test(key) ? '[redacted]' : redact(info[key]);
  }
  return info;
});

export function createLogger(
  component: string,
  level = process.env.LOG_LEVEL ?? 'info',
  transports: winston.transport[] = [new winston.transports.Console()],
): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { component },
    format: winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json()),
    transports,
  });
}
