// Caller tokens and NVR credentials, both read from mounted Secrets at the moment they are needed.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Credentials } from './rtsp.js';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Checks a bearer token against the accepted ones in constant time: both sides are hashed to a fixed length,
 * and every accepted token is compared, so neither length nor position leaks through timing.
 */
export function tokenMatches(presented: string, accepted: string[]): boolean {
  const mine = digest(presented);
  let match = false;
  for (const token of accepted) match = timingSafeEqual(mine, digest(token)) || match;
  return match && presented.length > 0;
}

/** Accepted tokens: one per line of the mounted Secret file (two during a rotation), or the env value. */
export function tokenSource(options: { file?: string; value?: string }): () => Promise<string[]> {
  const split = (text: string) => text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length >= 16);
  if (options.file) {
    const file = options.file;
    return async () => split(await readFile(file, 'utf8').catch(() => ''));
  }
  const tokens = split(options.value ?? '');
  return async () => tokens;
}

export function bearerOf(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

/** Reads `<dir>/<namespace>/<secret>/{username,password}`; undefined when the Secret is not mounted. */
export async function readCredentials(dir: string, namespace: string, secret: string): Promise<Credentials | undefined> {
  try {
    const [username, password] = await Promise.all(['username', 'password'].map((f) => readFile(join(dir, namespace, secret, f), 'utf8')));
    return { username: username!.trim(), password: password!.replace(/\r?\n$/, '') };
  } catch {
    return undefined;
  }
}
