// The admin API from the browser: same-origin cookies, JSON both ways, one silent refresh when the access token ends.
export class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly requestId: string | undefined,
  ) {
    super(message);
  }
}

export interface Tokens {
  accessExpiresAt: string;
  refreshExpiresAt: string;
}

/** Set while a session is believed alive, so a fresh visit shows the login page without a refused request. */
const SESSION_HINT = 'posbon.session';

let refreshing: Promise<boolean> | undefined;
let renewTimer: ReturnType<typeof setTimeout> | undefined;
let onSignedOut: () => void = () => undefined;

export const whenSignedOut = (handler: () => void): void => {
  onSignedOut = handler;
};

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const mutating = method !== 'GET';
  return fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { accept: 'application/json', ...(mutating ? { 'content-type': 'application/json' } : {}) },
    ...(mutating ? { body: JSON.stringify(body ?? {}) } : {}),
  });
}

async function refusal(res: Response): Promise<ApiRefusal> {
  const body = (await res.json().catch(() => ({}))) as { error?: string; requestId?: string };
  return new ApiRefusal(res.status, body.error ?? res.statusText, body.requestId ?? res.headers.get('x-request-id') ?? undefined);
}

/** Renews the access cookie a minute before it ends, so pages and players never meet an expired one. */
export function scheduleRenewal(tokens: Tokens): void {
  clearTimeout(renewTimer);
  const wait = Math.max(5_000, new Date(tokens.accessExpiresAt).getTime() - Date.now() - 60_000);
  renewTimer = setTimeout(() => void refresh(), wait);
}

export function stopRenewal(): void {
  clearTimeout(renewTimer);
}

function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    const res = await send('POST', '/auth/refresh', {});
    if (!res.ok) {
      localStorage.removeItem(SESSION_HINT);
      return false;
    }
    scheduleRenewal((await res.json()) as Tokens);
    return true;
  })().finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

export async function call<T>(method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH', path: string, body?: unknown): Promise<T> {
  let res = await send(method, path, body);
  if (res.status === 401 && !path.startsWith('/auth/')) {
    if (await refresh()) res = await send(method, path, body);
    if (res.status === 401) onSignedOut();
  }
  if (!res.ok) throw await refusal(res);
  return (await res.json()) as T;
}

export const get = <T>(path: string): Promise<T> => call<T>('GET', path);
export const post = <T>(path: string, body?: unknown): Promise<T> => call<T>('POST', path, body);
export const del = <T>(path: string): Promise<T> => call<T>('DELETE', path);

export async function login(username: string, password: string, totp: string | undefined): Promise<void> {
  const tokens = await call<Tokens>('POST', '/auth/login', { username, password, ...(totp ? { totp } : {}) });
  localStorage.setItem(SESSION_HINT, '1');
  scheduleRenewal(tokens);
}

export async function logout(): Promise<void> {
  stopRenewal();
  localStorage.removeItem(SESSION_HINT);
  await call('POST', '/auth/logout', {}).catch(() => undefined);
}

/** Renews the session once at start: a page reload keeps the user signed in while the refresh cookie lives. */
export const resume = async (): Promise<boolean> => localStorage.getItem(SESSION_HINT) === '1' && (await refresh());
