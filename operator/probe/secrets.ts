// Caller tokens and NVR credentials, both read from mounted Secrets at the moment they are needed.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Credentials } from './rtsp.js';
import { parseTicketKeys } from './ticket.js';

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

/**
 * Reads an NVR's credentials from the mounted folder, in either layout:
 * `<dir>/<namespace>/<secret>/{username,password}` (one volume item per Secret), or
 * `<dir>/<namespace>.<secret>.{username,password}` (the keys of one per-node Secret mounted whole, which the
 * kubelet updates in place; a pod cannot mount Secrets of the schools' namespaces directly).
 * Undefined when neither is there.
 */
export async function readCredentials(dir: string, namespace: string, secret: string): Promise<Credentials | undefined> {
  const layouts = [(field: string) => join(dir, namespace, secret, field), (field: string) => join(dir, `${namespace}.${secret}.${field}`)];
  for (const file of layouts) {
    try {
      const [username, password] = await Promise.all(['username', 'password'].map((f) => readFile(file(f), 'utf8')));
      return { username: username!.trim(), password: password!.replace(/\r?\n$/, '') };
    } catch {
      // try the next layout
    }
  }
  return undefined;
}

/** Ticket keys, read again on each use so a rotated Secret applies without a restart; unreadable or bad means none. */
export function ticketKeySource(options: { file?: string; value?: string }): () => Promise<Buffer[]> {
  const parse = (text: string) => {
    try {
      return parseTicketKeys(text);
    } catch {
      return [];
    }
  };
  if (options.file) {
    const file = options.file;
    return async () => parse(await readFile(file, 'utf8').catch(() => ''));
  }
  const keys = parse(options.value ?? '');
  return async () => keys;
}
