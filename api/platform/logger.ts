// One winston JSON logger for every API process; secrets are redacted here, not by each caller.
import winston from 'winston';

export type Logger = winston.Logger;

const REDACTED = '[REDACTED]';
const SECRET_KEY = /secret|password|passwd|token|authorization|cookie|signature|apikey|api_key|credential|totp/i;

// Path segments that carry a device token, query secrets, bearer values and our own prefixed secrets.
const SECRET_IN_TEXT: ReadonlyArray<[RegExp, string]> = [
  [/(\/webhook\/[^/\s?#"']+\/[^/\s?#"']+\/)[^/\s?#"']+/g, `$1${REDACTED}`],
  [/(\/dahua\/[^/\s?#"']+\/)[^/\s?#"']+/g, `$1${REDACTED}`],
  [/([?&](?:secret|token|password|key|jwt)=)[^&\s#"']*/gi, `$1${REDACTED}`],
  [/(bearer|basic|digest)\s+[^\s"',]+/gi, `$1 ${REDACTED}`],
  [/\b(?:pdt|whsec|prt|pag)_[A-Za-z0-9+/=_-]+/g, REDACTED],
  // Any JWT (access and viewer tokens), wherever it appears in text.
  [/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED],
];

export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_IN_TEXT) out = out.replace(pattern, replacement);
  return out;
}

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message), stack: value.stack && redactText(value.stack) };
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = SECRET_KEY.test(key) ? REDACTED : redact(item, depth + 1);
  return out;
}

const redaction = winston.format((info) => {
  for (const key of Reflect.ownKeys(info)) {
    if (typeof key !== 'string') continue;
    const record = info as Record<string, unknown>;
    record[key] = SECRET_KEY.test(key) ? REDACTED : redact(record[key]);
  }
  return info;
});

export interface LoggerOptions {
  level?: string;
  service: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  stream?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  return winston.createLogger({
    level: options.level ?? 'info',
    defaultMeta: { service: options.service },
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      redaction(),
      winston.format.timestamp(),
      winston.format.json(),
    ),
    transports: [transport],
  });
}
