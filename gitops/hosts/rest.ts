// JSON over HTTP for the host providers: one place that turns a host's error reply into a HostError, retries what
// failed on the way (with backoff), and waits out a rate limit as the host tells it to.
import { HostError } from './git-host.js';

export interface RetryPolicy {
  /** Tries of one request, the first included. */
  attempts: number;
  /** First backoff after a transient failure; doubled after each, with full jitter. */
  baseDelayMs: number;
  /** The longest the client waits before one retry; a rate limit that resets later fails at once, naming when. */
  maxDelayMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 60_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: Date.now,
};

export interface RestOptions {
  baseUrl: string;
  headers: Record<string, string>;
  retry?: Partial<RetryPolicy>;
}

/** Methods whose repeat changes nothing more: only these are retried after a lost answer or a 5xx. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);
// GitHub's advice for a secondary limit that names no time: wait at least a minute.
const SECONDARY_LIMIT_WAIT_MS = 60_000;

type Attempt = { response: Response; text: string } | { error: Error };

export class RestClient {
  private constructor(
    private readonly options: RestOptions,
    private readonly retry: RetryPolicy,
  ) {}

  static create(options: RestOptions): RestClient {
    return new RestClient({ ...options, baseUrl: options.baseUrl.replace(/\/+$/, '') }, { ...DEFAULT_RETRY, ...options.retry });
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method, headers: { Accept: 'application/json', ...this.options.headers } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { ...init.headers, 'Content-Type': 'application/json' };
    }
    for (let attempt = 1; ; attempt++) {
      const outcome: Attempt = await fetch(`${this.options.baseUrl}${path}`, init).then(
        async (response) => ({ response, text: await response.text() }),
        (error: Error) => ({ error }),
      );
      if ('response' in outcome && outcome.response.ok) return (outcome.text === '' ? undefined : JSON.parse(outcome.text)) as T;
      const failure = 'error' in outcome ? outcome.error : new HostError(`${method} ${path}: ${outcome.response.status} ${errorMessage(outcome.text)}`, outcome.response.status);
      const wait = 'error' in outcome ? this.transientWait(method, attempt) : this.waitBefore(method, attempt, outcome.response, outcome.text);
      if (wait === undefined || attempt >= this.retry.attempts) throw failure;
      if (wait > this.retry.maxDelayMs) {
        const until = new Date(this.retry.now() + wait).toISOString();
        throw new HostError(`${failure.message}; rate limited until ${until}, later than this client waits`, (failure as HostError).status);
      }
      await this.retry.sleep(wait);
    }
  }

  /** Like request, but a 404 is an answer (null), not an error. */
  async find<T>(path: string): Promise<T | null> {
    try {
      return await this.request<T>('GET', path);
    } catch (error) {
      if (error instanceof HostError && error.status === 404) return null;
      throw error;
    }
  }

  /** Every page of a list endpoint that pages with `page` and `per_page`/`limit`. */
  async all<T>(path: string, pageSize: number, sizeParam: 'limit' | 'per_page'): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; ; page++) {
      const sep = path.includes('?') ? '&' : '?';
      const batch = await this.request<T[]>('GET', `${path}${sep}page=${page}&${sizeParam}=${pageSize}`);
      items.push(...batch);
      if (batch.length < pageSize) return items;
    }
  }

  /** How long to wait before trying an answered request again, or undefined when it must not be retried. */
  private waitBefore(method: string, attempt: number, response: Response, text: string): number | undefined {
    const limited = rateLimitWait(response, text, this.retry.now());
    // A rate-limited request was not carried out, so any method may be sent again; without a time named, each wait
    // doubles, as GitHub asks.
    if (limited !== undefined) return limited.named ? limited.ms : limited.ms * 2 ** (attempt - 1);
    if (!TRANSIENT_STATUS.has(response.status)) return undefined;
    const retryAfter = retryAfterMs(response);
    return this.transientWait(method, attempt) === undefined ? undefined : Math.max(retryAfter ?? 0, this.backoff(attempt));
  }

  private transientWait(method: string, attempt: number): number | undefined {
    return IDEMPOTENT.has(method) ? this.backoff(attempt) : undefined;
  }

  private backoff(attempt: number): number {
    return Math.round(Math.random() * this.retry.baseDelayMs * 2 ** (attempt - 1));
  }
}

const retryAfterMs = (response: Response): number | undefined => {
  const value = response.headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? Math.max(0, seconds * 1000) : undefined;
};

/**
 * The wait a rate-limit answer asks for, after GitHub's rules: 429, or 403 with `x-ratelimit-remaining: 0` or a
 * secondary-limit message. `retry-after` (seconds) first, then `x-ratelimit-reset` (epoch seconds) when nothing
 * remains, else a minute (`named: false`). Undefined when the answer is no rate limit (a 403 is usually a permission).
 */
export function rateLimitWait(response: Response, text: string, now: number): { ms: number; named: boolean } | undefined {
  const { status, headers } = response;
  const exhausted = headers.get('x-ratelimit-remaining') === '0';
  const retryAfter = retryAfterMs(response);
  const limited = status === 429 || (status === 403 && (exhausted || retryAfter !== undefined || /rate limit/i.test(errorMessage(text))));
  if (!limited) return undefined;
  if (retryAfter !== undefined) return { ms: retryAfter, named: true };
  const reset = Number(headers.get('x-ratelimit-reset'));
  if (exhausted && Number.isFinite(reset) && reset > 0) return { ms: Math.max(0, reset * 1000 - now), named: true };
  return { ms: SECONDARY_LIMIT_WAIT_MS, named: false };
}

function errorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: the text itself is the message
  }
  return text.slice(0, 300);
}
