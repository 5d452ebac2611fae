import { PassThrough } from 'node:stream';
import type { Socket } from 'node:net';
import { blockListOf, DEFAULT_PROBE_PORTS, fleetBounds } from './bounds.js';
import { probeConfigFrom } from './config.js';
import { cappedDial, checkedAddress } from '../../lib/devices/net.js';
import { ProbeFailure } from '../../lib/devices/result.js';

describe('fleetBounds', () => {
  let fleet = ['198.51.100.7'];
  const bounds = fleetBounds({ ownAddresses: ['203.0.113.5', '2001:db8::5'], clusterCidrs: ['10.96.0.0/12', '203.0.113.128/25'], fleetAddresses: () => fleet });

  it("names the node's own, a media node's and a cluster address, and lets any other public address through", () => {
    expect(['203.0.113.5', '::ffff:203.0.113.5', '2001:db8::5', '198.51.100.7', '203.0.113.200', '198.51.100.8'].map((a) => bounds.refusalOf(a))).toEqual([
      "this media node's own address",
      "this media node's own address",
      "this media node's own address",
      "a media node's address",
      'a cluster address',
      undefined,
    ]);
  });

  it('follows the fleet as the allowlist changes', () => {
    fleet = ['198.51.100.8'];
    expect([bounds.refusalOf('198.51.100.7'), bounds.refusalOf('198.51.100.8')]).toEqual([undefined, "a media node's address"]);
  });

  it('refuses a name when any address it resolves to is ours', async () => {
    await expect(checkedAddress('nvr.example', async () => ['198.51.100.20', '203.0.113.5'], (a) => bounds.refusalOf(a))).rejects.toEqual(
      new ProbeFailure('NotAllowlisted', "nvr.example resolves to 203.0.113.5, which is this media node's own address"),
    );
  });

  it('rejects an entry that is not an address or CIDR, naming the setting', () => {
    expect(() => blockListOf(['10.0.0.0/33'], 'POSBON_PROBE_CLUSTER_CIDRS')).toThrow('POSBON_PROBE_CLUSTER_CIDRS: "10.0.0.0/33" is not an address or CIDR');
  });
});

describe('probe settings for the bounds', () => {
  const base = { POSBON_PROBE_NODE: 'media-1', POSBON_PROBE_ALLOWLIST: '/a.json', POSBON_PROBE_TOKEN: 'a-token-of-sixteen-chars' };

  it('default to camera ports, no extra addresses and a 2 MiB cap', () => {
    expect(probeConfigFrom(base)).toMatchObject({ ports: [...DEFAULT_PROBE_PORTS], clusterCidrs: [], nodeAddresses: [], maxResponseBytes: 2 * 1024 * 1024 });
    expect(DEFAULT_PROBE_PORTS).not.toEqual(expect.arrayContaining([10250]));
  });

  it('read lists and name a bad one', () => {
    expect(probeConfigFrom({ ...base, POSBON_PROBE_PORTS: '554, 80', POSBON_PROBE_CLUSTER_CIDRS: '10.244.0.0/16,10.96.0.0/12', POSBON_PROBE_NODE_ADDRESSES: '203.0.113.5' })).toMatchObject({
      ports: [554, 80],
      clusterCidrs: ['10.244.0.0/16', '10.96.0.0/12'],
      nodeAddresses: ['203.0.113.5'],
    });
    expect(() => probeConfigFrom({ ...base, POSBON_PROBE_CLUSTER_CIDRS: '10.244.0.0/16,nope' })).toThrow('POSBON_PROBE_CLUSTER_CIDRS: must be comma-separated addresses or CIDRs');
    expect(() => probeConfigFrom({ ...base, POSBON_PROBE_PORTS: '554,70000' })).toThrow('POSBON_PROBE_PORTS: ports must be 1-65535');
  });
});

describe('cappedDial', () => {
  it('destroys a connection with TooLarge once it has received more than the cap', () => {
    const stream = new PassThrough();
    const socket = cappedDial(() => stream as unknown as Socket, 10)('198.51.100.1', 80);
    const errors: unknown[] = [];
    socket.on('error', (e) => errors.push(e));
    stream.write(Buffer.alloc(6));
    expect(stream.destroyed).toBe(false);
    stream.write(Buffer.alloc(6));
    expect(stream.destroyed).toBe(true);
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        expect(errors).toEqual([new ProbeFailure('TooLarge', 'the device sent more than 10 bytes on one connection; the probe stopped reading')]);
        resolve();
      }),
    );
  });
});
