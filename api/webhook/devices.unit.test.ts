import { sourceAllowlistOf } from './devices.js';

describe('sourceAllowlistOf', () => {
  const addresses = ['10.1.2.3', '::ffff:10.9.9.9', '192.0.2.1', '2001:db8::7', '2001:db9::1', 'not-an-address', ''];

  it('answers by the declared subnets, the same on every later ask of the same address', () => {
    const list = sourceAllowlistOf(['10.0.0.0/8', '2001:db8::/32']);
    const first = addresses.map((a) => [a, list.allows(a)]);
    const again = addresses.map((a) => [a, list.allows(a)]);
    expect(first).toEqual([
      ['10.1.2.3', true],
      ['::ffff:10.9.9.9', true],
      ['192.0.2.1', false],
      ['2001:db8::7', true],
      ['2001:db9::1', false],
      ['not-an-address', false],
      ['', false],
    ]);
    expect(again).toEqual(first);
  });

  it('keeps answering right after many distinct addresses', () => {
    const list = sourceAllowlistOf(['203.0.113.0/24']);
    for (let i = 0; i < 10_000; i++) list.allows(`198.51.${(i >> 8) & 255}.${i & 255}`);
    expect([list.allows('203.0.113.9'), list.allows('198.51.0.1')]).toEqual([true, false]);
  });
});
