import { renderTunnelMetrics, schoolsByKey, tunnelAlertRule, tunnelCondition } from './health.js';

const now = new Date('2026-11-29T06:00:00Z');
const KEY_A = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const KEY_B = 'mN2dYh4dGn0P4iNgDq2jWd5k5e9C0Ls8yQv7bJ3aZ1E=';

describe('tunnelCondition', () => {
  it.each([
    ['fresh', new Date('2026-11-29T05:59:00Z'), { status: 'True', reason: 'HandshakeFresh', message: "the gateway's handshakes are fresh (stale after 180 s without one)" }],
    ['stale', new Date('2026-11-29T05:56:00Z'), { status: 'False', reason: 'HandshakeStale', message: 'no handshake since 2026-11-29T05:56:00.000Z (stale after 180 s): the gateway is down or lost its way to the node' }],
    ['never', undefined, { status: 'False', reason: 'NoHandshake' }],
  ])('is %s', (_, at, expected) => {
    expect(tunnelCondition(at, now)).toMatchObject({ type: 'TunnelConnected', ...expected });
  });
});

describe('renderTunnelMetrics', () => {
  it('reports each school\'s latest handshake, 0 for one never seen, and ignores peers of no school', () => {
    const peers = `[Interface]\nListenPort = 51820\n\n# School s-a\n[Peer]\nPublicKey = ${KEY_A}\nAllowedIPs = 10.255.0.2/32\n\n# School s-b\n[Peer]\nPublicKey = ${KEY_B}\nAllowedIPs = 10.255.0.3/32\n`;
    expect(schoolsByKey(peers)).toEqual(new Map([[KEY_A, 's-a'], [KEY_B, 's-b']]));
    const text = renderTunnelMetrics('node-a', schoolsByKey(peers), [
      { publicKey: KEY_B, rxBytes: 0, txBytes: 0 },
      { publicKey: KEY_A, latestHandshake: new Date('2026-11-29T05:59:00Z'), endpoint: '203.0.113.50:4000', rxBytes: 10, txBytes: 20 },
      { publicKey: 'stray', rxBytes: 1, txBytes: 1 },
    ]);
    expect(text).toBe(
      [
        "# HELP posbon_tunnel_last_handshake_seconds Unix time of the latest WireGuard handshake with the school's gateway (0: never).",
        '# TYPE posbon_tunnel_last_handshake_seconds gauge',
        'posbon_tunnel_last_handshake_seconds{node="node-a",school="s-a"} 1795931940',
        'posbon_tunnel_last_handshake_seconds{node="node-a",school="s-b"} 0',
        "# HELP posbon_tunnel_received_bytes_total Bytes received from the school's gateway.",
        '# TYPE posbon_tunnel_received_bytes_total counter',
        'posbon_tunnel_received_bytes_total{node="node-a",school="s-a"} 10',
        'posbon_tunnel_received_bytes_total{node="node-a",school="s-b"} 0',
        "# HELP posbon_tunnel_sent_bytes_total Bytes sent to the school's gateway.",
        '# TYPE posbon_tunnel_sent_bytes_total counter',
        'posbon_tunnel_sent_bytes_total{node="node-a",school="s-a"} 20',
        'posbon_tunnel_sent_bytes_total{node="node-a",school="s-b"} 0',
        '',
      ].join('\n'),
    );
  });
});

describe('tunnelAlertRule', () => {
  it('alerts on a handshake older than the stale threshold, a never-seen one included', () => {
    const rule = (tunnelAlertRule('posbon-system').spec as { groups: Array<{ rules: Array<Record<string, unknown>> }> }).groups[0]!.rules[0]!;
    expect(rule).toMatchObject({ alert: 'PosbonTunnelHandshakeStale', expr: 'time() - posbon_tunnel_last_handshake_seconds > 180', for: '5m' });
  });
});
