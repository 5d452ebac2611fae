import { assembleWireGuardConfig, parseWireGuardDump, routeChanges, TunnelSync, type Exec } from './sync.js';

const KEY = 'YH2OsUx4EdW2g5M7wxUYFlBjxJbUUSoLLhOR48awHGo=';
const PEER = 'qdx/lWwc/R4qowa2sxr3Sm9Sy0YzQ1tegEb1+M/TmSY=';

describe('assembleWireGuardConfig', () => {
  it('puts the private key into the interface section and nowhere else', () => {
    expect(assembleWireGuardConfig(`[Interface]\nListenPort = 51820\n\n[Peer]\nPublicKey = ${PEER}\n`, `${KEY}\n`)).toBe(
      `[Interface]\nPrivateKey = ${KEY}\nListenPort = 51820\n\n[Peer]\nPublicKey = ${PEER}\n`,
    );
  });

  it.each([
    ['a key that is not 32 bytes', '[Interface]\n', 'abc', 'the WireGuard private key is not 32 bytes of base64'],
    ['peers without an interface section', '[Peer]\n', KEY, 'the rendered peers have no [Interface] section'],
  ])('refuses %s', (_, peers, key, message) => {
    expect(() => assembleWireGuardConfig(peers, key)).toThrow(message);
  });
});

describe('routeChanges', () => {
  it('adds the missing and drops the stale, leaving the rest alone', () => {
    expect(routeChanges(['192.168.1.5/32', '10.8.0.4/32'], ['10.8.0.4/32', '172.16.0.9/32'])).toEqual({ add: ['172.16.0.9/32'], remove: ['192.168.1.5/32'] });
  });
});

describe('parseWireGuardDump', () => {
  it('reads each peer\'s endpoint, latest handshake and transfer; a peer never seen has neither', () => {
    const dump = [
      `${KEY}\tpH6z6l2i1Xco9ktNuZIJPQuLEFoU7FH6ipTJr3KyBzc=\t51820\toff`,
      `${PEER}\t(none)\t203.0.113.50:52384\t10.255.0.2/32\t1795930960\t180\t92\toff`,
      `pH6z6l2i1Xco9ktNuZIJPQuLEFoU7FH6ipTJr3KyBzc=\t(none)\t(none)\t10.255.0.3/32\t0\t0\t0\toff`,
    ].join('\n');
    expect(parseWireGuardDump(dump)).toEqual([
      { publicKey: PEER, endpoint: '203.0.113.50:52384', latestHandshake: new Date(1795930960 * 1000), rxBytes: 180, txBytes: 92 },
      { publicKey: 'pH6z6l2i1Xco9ktNuZIJPQuLEFoU7FH6ipTJr3KyBzc=', rxBytes: 0, txBytes: 0 },
    ]);
  });
});

describe('TunnelSync.apply', () => {
  it('feeds the assembled config to wg syncconf on stdin, never as an argument, and syncs host routes only', async () => {
    const calls: Array<[string, string[], string | undefined]> = [];
    const exec: Exec = async (command, args, input) => {
      calls.push([command, args, input]);
      if (command === 'ip' && args[0] === '-4') return '10.255.0.0/24 proto kernel scope link src 10.255.0.1\n192.168.1.5 scope link\n';
      return '';
    };
    const changes = await TunnelSync.create({ iface: 'wg0', exec }).apply(`[Interface]\nListenPort = 51820\n`, ['10.8.0.4/32'], KEY);
    expect(changes).toEqual({ add: ['10.8.0.4/32'], remove: ['192.168.1.5/32'] });
    expect(calls).toEqual([
      ['sh', ['-c', 'cat | wg syncconf "$1" /dev/stdin', 'sh', 'wg0'], `[Interface]\nPrivateKey = ${KEY}\nListenPort = 51820\n`],
      ['ip', ['-4', 'route', 'show', 'dev', 'wg0'], undefined],
      ['ip', ['route', 'replace', '10.8.0.4/32', 'dev', 'wg0'], undefined],
      ['ip', ['route', 'del', '192.168.1.5/32', 'dev', 'wg0'], undefined],
    ]);
    expect(calls.flatMap(([, args]) => args).join(' ')).not.toContain(KEY);
  });
});
