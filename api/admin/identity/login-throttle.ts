// Per-account login throttling: a few failures are free, then each further attempt waits twice as long as the last.
export interface LoginThrottlePolicy {
  /** Failures in a row answered without delay. */
  freeFailures: number;
  /** The wait after the last free failure; each further failure doubles it. */
  baseDelayMs: number;
  /** The longest wait, so that a burst of bad passwords never locks an account out for good. */
  maxDelayMs: number;
  /** Logins of one account checked at once; more are refused before their password is hashed. */
  maxInFlight: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottlePolicy = {
  freeFailures: 5,
  baseDelayMs: 30_000,
  maxDelayMs: 15 * 60_000,
  maxInFlight: 2,
};

/** Above this exponent the delay is the cap anyway; bounding it keeps the arithmetic finite in SQL too. */
export const MAX_DOUBLINGS = 30;

/** How long the next attempt waits after `failures` failures in a row (0 while they are free). */
export function throttleDelayMs(policy: LoginThrottlePolicy, failures: number): number {
  if (failures < policy.freeFailures) return 0;
  const doublings = Math.min(failures - policy.freeFailures, MAX_DOUBLINGS);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** doublings);
}

/** Whole seconds for Retry-After, at least one. */
export const retryAfterSeconds = (until: Date, now: Date): number => Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));

/** The password rules: long enough to resist guessing, short enough to hash cheaply. */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;
