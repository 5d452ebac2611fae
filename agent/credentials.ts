// The paired agent's credentials: traded once for a pairing code, kept in a file only the user can read, and
// refreshed (single-use refresh token, rewritten at once) when the access token is about to expire.
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ApiRefused } from './api-client.js';

export interface StoredCredentials {
  apiUrl: string;
  schoolId: string;
  agentId: string;
  accessToken: string;
  accessExpiresAt: string;
  refreshToken: string;
  refreshExpiresAt: string;
}

/** The access token is renewed this long before it expires, so a call never leaves with a dying token. */
const RENEW_BEFORE_MS = 60_000;

/** `POSBON_AGENT_CREDENTIALS`, else the user's configuration folder (%APPDATA% on Windows). */
export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.POSBON_AGENT_CREDENTIALS) return env.POSBON_AGENT_CREDENTIALS;
  if (process.platform === 'win32' && env.APPDATA) return join(env.APPDATA, 'Posbon', 'agent.json');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'posbon', 'agent.json');
}

async function postJson<T>(apiUrl: string, path: string, body: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${apiUrl.replace(/\/+$/, '')}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new ApiRefused(0, `cannot reach the Posbon API at ${apiUrl}: ${(error as Error).message}`);
  }
  const parsed = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok) throw new ApiRefused(response.status, `POST ${path}: ${response.status} ${parsed.error ?? ''}`.trim());
  return parsed as T;
}

/** Written to a temporary file created 0600 and renamed over the old one, so no reader ever sees a half or an open file. */
export async function saveCredentials(path: string, credentials: StoredCredentials): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

export async function loadCredentials(path: string): Promise<StoredCredentials> {
  if (process.platform !== 'win32') {
    const mode = (await stat(path)).mode & 0o777;
    if (mode & 0o077) throw new Error(`${path}: readable by other users (mode ${mode.toString(8)}); run chmod 600 or pair again`);
  }
  return JSON.parse(await readFile(path, 'utf8')) as StoredCredentials;
}

/** Trades a pairing code for the agent's tokens and stores them; returns what was stored, tokens left out. */
export async function pairAgent(options: { apiUrl: string; code: string; label: string; path: string }): Promise<{ schoolId: string; agentId: string; path: string }> {
  const tokens = await postJson<Omit<StoredCredentials, 'apiUrl'>>(options.apiUrl, '/agent/pair', { code: options.code, label: options.label });
  await saveCredentials(options.path, { apiUrl: options.apiUrl, ...tokens });
  return { schoolId: tokens.schoolId, agentId: tokens.agentId, path: options.path };
}

/** A paired agent's access token, renewed from the stored refresh token when needed; one refresh at a time. */
export class AgentSession {
  private renewing: Promise<string> | undefined;

  private constructor(
    private readonly path: string,
    private credentials: StoredCredentials,
    private readonly now: () => number,
  ) {}

  static async open(path: string, now: () => number = Date.now): Promise<AgentSession> {
    return new AgentSession(path, await loadCredentials(path), now);
  }

  get apiUrl(): string {
    return this.credentials.apiUrl;
  }

  get schoolId(): string {
    return this.credentials.schoolId;
  }

  accessToken = async (): Promise<string> => {
    if (Date.parse(this.credentials.accessExpiresAt) - this.now() > RENEW_BEFORE_MS) return this.credentials.accessToken;
    this.renewing ??= this.renew().finally(() => (this.renewing = undefined));
    return this.renewing;
  };

  private async renew(): Promise<string> {
    const tokens = await postJson<Omit<StoredCredentials, 'apiUrl'>>(this.credentials.apiUrl, '/agent/refresh', { refreshToken: this.credentials.refreshToken });
    this.credentials = { apiUrl: this.credentials.apiUrl, ...tokens };
    await saveCredentials(this.path, this.credentials);
    return this.credentials.accessToken;
  }
}
