// The one redaction table of every Posbon process: secret-named fields, secrets inside text, and token paths.

export const REDACTED = '[REDACTED]';

/** A field whose name says it holds a secret is replaced whole, whatever its value. */
export const SECRET_KEY =
  /secret|passw(or)?d|^pass$|token|authorization|cookie|signature|apikey|api_key|credential|totp|confkey/i;

/** A path segment as Express matches one, and as it appears quoted in a log line. */
const SEGMENT = `[^/\\s?#"']+`;

// Userinfo in URLs, query secrets, bearer values, Posbon's prefixed secrets and any JWT, wherever they appear.
const SECRET_IN_TEXT: ReadonlyArray<[RegExp, string]> = [
  [/([a-z][a-z0-9+.-]*:\/\/)[^/@\s"']*@/gi, `$1${REDACTED}@`],
  [/([?&](?:secret|token|password|key|jwt)=)[^&\s#"']*/gi, `$1${REDACTED}`],
  [/(bearer|basic|digest)\s+[^\s"',]+/gi, `$1 ${REDACTED}`],
  [/\b(?:pdt|whsec|prt|pag)_[A-Za-z0-9+/=_-]+/g, REDACTED],
  [/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED],
];

const secretPaths: Array<[RegExp, string]> = [];
const registeredTemplates = new Set<string>();

/**
 * A route template whose `:name` segment carries a secret, e.g. `/dahua/:schoolId/:deviceToken`: that segment is
 * redacted in every later log line of this process. The webhook vendor registry calls this for each token path, so
 * a vendor cannot be added without its token being redacted.
 */
export function redactPathSegment(template: string, secretParam: string): void {
  const key = `${template} ${secretParam}`;
  if (registeredTemplates.has(key)) return;
  const segments = template.split('/');
  const at = segments.indexOf(`:${secretParam}`);
  if (at < 1) throw new Error(`redactPathSegment: ${template} has no :${secretParam} segment`);
  const asPattern = (segment: string) => (segment.startsWith(':') ? SEGMENT : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const before = segments.slice(0, at).map(asPattern).join('/');
  secretPaths.push([new RegExp(`(${before}/)${SEGMENT}`, 'g'), `$1${REDACTED}`]);
  registeredTemplates.add(key);
}

/**
 * What every pattern above needs at least one of: a slash (URLs, token paths), a query separator, whitespace, the
 * underscore of a prefixed secret, or a JWT's `eyJ`. Text without any (an id, a timestamp) skips the replaces.
 */
const MAY_HOLD_SECRET = /[/?&_\s]|eyJ/;

export function redactText(text: string): string {
  if (!MAY_HOLD_SECRET.test(text)) return text;
  let out = text;
  for (const [pattern, replacement] of secretPaths) out = out.replace(pattern, replacement);
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
