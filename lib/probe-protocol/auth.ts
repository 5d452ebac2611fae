// The probe's caller tokens and ticket keys, read from mounted Secrets at the moment they are needed.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
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
