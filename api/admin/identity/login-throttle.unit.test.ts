import { DEFAULT_LOGIN_THROTTLE, retryAfterSeconds, throttleDelayMs, type LoginThrottlePolicy } from './login-throttle.js';

const policy: LoginThrottlePolicy = { freeFailures: 5, baseDelayMs: 30_000, maxDelayMs: 15 * 60_000, maxInFlight: 2 };

describe('login throttle', () => {
  it('lets the free failures through, then doubles the wait up to the cap', () => {
    expect([0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 200].map((n) => throttleDelayMs(policy, n))).toEqual([
      0, 0, 0, 30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000,
    ]);
  });

  it('never waits longer than the cap, whatever the count', () => {
    expect(throttleDelayMs(DEFAULT_LOGIN_THROTTLE, Number.MAX_SAFE_INTEGER)).toBe(DEFAULT_LOGIN_THROTTLE.maxDelayMs);
  });

  it('answers Retry-After in whole seconds, at least one', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect([0, 1, 999, 1000, 1001, 30_000].map((ms) => retryAfterSeconds(new Date(now.getTime() + ms), now))).toEqual([1, 1, 1, 1, 2, 30]);
  });
});
