// The sidecar's logger: winston JSON, one event per line; secrets are removed here, not by each caller.
import winston from 'winston';

const SECRET_KEY = /pass(word)?|secret|token|authorization|credential|cookie/i;
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi;

function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(USERINFO, '$1[redacted]@');
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1)]));
}

const redaction = winston.format((info) => {
  for (const key of Object.keys(info)) {
    info[key] = SECRET_KEY.test(key) ? '[redacted]' : redact(info[key]);
  }
  return info;
});

export type Logger = winston.Logger;

export function createProbeLogger(options: { level?: string; stream?: NodeJS.WritableStream } = {}): Logger {
  return winston.createLogger({
    level: options.level ?? 'info',
    format: winston.format.combine(redaction(), winston.format.timestamp(), winston.format.json()),
    defaultMeta: { component: 'probe' },
    transports: [options.stream ? new winston.transports.Stream({ stream: options.stream }) : new winston.transports.Console()],
  });
}
