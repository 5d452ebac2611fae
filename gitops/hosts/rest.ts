// JSON over HTTP for the host providers: one place that turns a host's error reply into a HostError.
import { HostError } from './git-host.js';

export interface RestOptions {
  baseUrl: string;
  headers: Record<string, string>;
}

export class RestClient {
  private constructor(private readonly options: RestOptions) {}

  static create(options: RestOptions): RestClient {
    return new RestClient({ ...options, baseUrl: options.baseUrl.replace(/\/+$/, '') });
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method, headers: { Accept: 'application/json', ...this.options.headers } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { ...init.headers, 'Content-Type': 'application/json' };
    }
    const response = await fetch(`${this.options.baseUrl}${path}`, init);
    const text = await response.text();
    if (!response.ok) throw new HostError(`${method} ${path}: ${response.status} ${errorMessage(text)}`, response.status);
    return (text === '' ? undefined : JSON.parse(text)) as T;
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
