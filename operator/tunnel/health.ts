// How fresh each school's tunnel is: the condition on the School, the node's metric and the alert that watches it.
import type { ConditionInput } from '../core/conditions.js';
import type { PeerHandshake } from './sync.js';

/**
 * WireGuard re-handshakes at least every two minutes while packets flow, and the gateway's keepalive keeps packets
 * flowing; a handshake older than three minutes therefore means the gateway is gone or cannot reach the node.
 */
export const STALE_AFTER_SECONDS = 180;

export function tunnelCondition(latestHandshake: Date | undefined, now: Date, staleAfterSeconds = STALE_AFTER_SECONDS): ConditionInput {
  if (!latestHandshake) {
    return { type: 'TunnelConnected', status: 'False', reason: 'NoHandshake', message: "the school's gateway has not completed a handshake with its media node: check it runs the config the agent wrote and can reach the node's endpoint over UDP" };
  }
  // The messages name the handshake's time, not its age, so an unchanged state never rewrites the status.
  const age = (now.getTime() - latestHandshake.getTime()) / 1000;
  if (age > staleAfterSeconds) {
    return { type: 'TunnelConnected', status: 'False', reason: 'HandshakeStale', message: `no handshake since ${latestHandshake.toISOString()} (stale after ${staleAfterSeconds} s): the gateway is down or lost its way to the node` };
  }
  return { type: 'TunnelConnected', status: 'True', reason: 'HandshakeFresh', message: `the gateway's handshakes are fresh (stale after ${staleAfterSeconds} s without one)` };
}

/** `# School <name>` comments before each `[Peer]` in the rendered peers: which key belongs to which school. */
export function schoolsByKey(peersConf: string): Map<string, string> {
  const out = new Map<string, string>();
  let school: string | undefined;
  for (const line of peersConf.split('\n')) {
    const comment = /^# School (\S+)$/.exec(line.trim());
    if (comment) school = comment[1];
    const key = /^PublicKey = (\S+)$/.exec(line.trim());
    if (key && school) out.set(key[1]!, school);
  }
  return out;
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * The node sidecar's metrics, Prometheus text. A peer that never shook hands reports 0, which the alert treats as
 * stale, so a gateway that never came up alerts as well as one that went away.
 */
export function renderTunnelMetrics(node: string, schools: ReadonlyMap<string, string>, handshakes: readonly PeerHandshake[]): string {
  const rows = handshakes
    .map((h) => ({ school: schools.get(h.publicKey), h }))
    .filter((r): r is { school: string; h: PeerHandshake } => r.school !== undefined)
    .sort((a, b) => a.school.localeCompare(b.school));
  const label = (school: string) => `{node="${escapeLabel(node)}",school="${escapeLabel(school)}"}`;
  return [
    '# HELP posbon_tunnel_last_handshake_seconds Unix time of the latest WireGuard handshake with the school\'s gateway (0: never).',
    '# TYPE posbon_tunnel_last_handshake_seconds gauge',
    ...rows.map((r) => `posbon_tunnel_last_handshake_seconds${label(r.school)} ${r.h.latestHandshake ? Math.floor(r.h.latestHandshake.getTime() / 1000) : 0}`),
    '# HELP posbon_tunnel_received_bytes_total Bytes received from the school\'s gateway.',
    '# TYPE posbon_tunnel_received_bytes_total counter',
    ...rows.map((r) => `posbon_tunnel_received_bytes_total${label(r.school)} ${r.h.rxBytes}`),
    '# HELP posbon_tunnel_sent_bytes_total Bytes sent to the school\'s gateway.',
    '# TYPE posbon_tunnel_sent_bytes_total counter',
    ...rows.map((r) => `posbon_tunnel_sent_bytes_total${label(r.school)} ${r.h.txBytes}`),
    '',
  ].join('\n');
}

/** The PrometheusRule the chart installs beside the ServiceMonitor. */
export function tunnelAlertRule(namespace: string): Record<string, unknown> {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'posbon-tunnel', namespace, labels: { 'app.kubernetes.io/part-of': 'posbon' } },
    spec: {
      groups: [
        {
          name: 'posbon-tunnel',
          rules: [
            {
              alert: 'PosbonTunnelHandshakeStale',
              expr: `time() - posbon_tunnel_last_handshake_seconds > ${STALE_AFTER_SECONDS}`,
              for: '5m',
              labels: { severity: 'warning' },
              annotations: {
                summary: 'School {{ $labels.school }} has no fresh WireGuard handshake with media node {{ $labels.node }}',
                description: 'The gateway of school {{ $labels.school }} last completed a handshake {{ $value | humanizeDuration }} ago; its cameras cannot be pulled. Check the gateway is powered and online; no change in Git is needed.',
              },
            },
          ],
        },
      ],
    },
  };
}
