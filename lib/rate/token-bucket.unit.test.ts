import { TokenBucketLimiter } from './token-bucket.js';

describe('token buckets per key', () => {
  test('allows a burst, then one take per refill interval, per key', () => {
    let now = 0;
    const limiter = new TokenBucketLimiter({ perMinute: 6, burst: 2 }, () => now);
    expect([limiter.take('a/x'), limiter.take('a/x'), limiter.take('a/x')]).toEqual([true, true, false]);
    expect(limiter.take('a/y')).toBe(true);
    now = 9_999;
    expect(limiter.take('a/x')).toBe(false);
    now = 10_000;
    expect(limiter.take('a/x')).toBe(true);
  });
});
