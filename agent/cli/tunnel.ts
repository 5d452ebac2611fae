import { parseArgs } from 'node:util';
import type { ProposalAnswer } from '../api-client.js';
import { checkTunnel, WINDOWS_CAVEAT, writeTunnel, type ExposedNvr, type GatewayKind, type TunnelOutcome } from '../tunnel.js';
import { apiClient, ERROR_PREFIX, fail, jsonOption, portOf, report, required, UsageError, type Command } from './command.js';

const GATEWAYS: readonly GatewayKind[] = ['linux', 'windows', 'mikrotik'];
const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;

function exposedOf(specs: string[] | undefined): ExposedNvr[] {
  if (!specs?.length) throw new UsageError('--nvr IP:PORT[,PORT] is required, once per NVR the gateway exposes');
  return specs.map((s) => {
    const [host, ports] = s.split(':');
    if (!host || !IPV4.test(host) || !ports) throw new UsageError(`--nvr: IP:PORT[,PORT], got ${JSON.stringify(s)}`);
    return { host, ports: ports.split(',').map((p) => portOf(p, 'nvr')!) };
  });
}

type Outcome = TunnelOutcome & { pullRequest?: ProposalAnswer['proposal']; checks?: Awaited<ReturnType<typeof checkTunnel>> };

const linesOf = (o: Outcome): string[] => [
  `gateway public key ${o.publicKey}`,
  ...(o.pullRequest ? [`${o.pullRequest.created ? 'proposed' : 'updated the proposal'} as pull request #${o.pullRequest.number}: ${o.pullRequest.url}`] : []),
  ...o.files.map((f) => `wrote ${f}`),
  ...(o.checks ?? []).map((c) => `${c.nvr}: ${c.result.reason}${c.result.reason === 'Ok' ? '' : ` (${c.result.message})`}`),
];

export const tunnelCommand: Command = {
  name: 'tunnel',
  summary:
    "the school's WireGuard gateway: its key pair (kept in --dir), tunnel mode proposed with its public key (unless --offline), the gateway config once the node's side is known (School status, or flags), and a play of each --check NVR from the media node",
  usage:
    'tunnel --school S --nvr IP:PORT[,PORT]... [--gateway linux|windows|mikrotik] [--dir D] [--iface posbon] [--lan-interface eth1] [--address A --node-address A --node-public-key K --endpoint H:P] [--keepalive 25] [--check NVR]... [--offline] [--json]',
  async run(args, io) {
    try {
      const { values } = parseArgs({
        args,
        strict: true,
        options: {
          school: { type: 'string' },
          nvr: { type: 'string', multiple: true },
          gateway: { type: 'string' },
          dir: { type: 'string' },
          iface: { type: 'string' },
          'lan-interface': { type: 'string' },
          address: { type: 'string' },
          'node-address': { type: 'string' },
          'node-public-key': { type: 'string' },
          endpoint: { type: 'string' },
          keepalive: { type: 'string' },
          check: { type: 'string', multiple: true },
          offline: { type: 'boolean' },
          ...jsonOption,
        },
      });
      const gateway = (values.gateway ?? 'linux') as GatewayKind;
      if (!GATEWAYS.includes(gateway)) throw new UsageError('--gateway: linux, windows or mikrotik');
      const schoolId = required(values.school, 'school');
      const exposed = exposedOf(values.nvr);
      const nodeFlags = [values.address, values['node-address'], values['node-public-key'], values.endpoint];
      if (nodeFlags.some(Boolean) && !nodeFlags.every(Boolean)) {
        throw new UsageError("--address, --node-address, --node-public-key and --endpoint go together (from the School's status)");
      }
      const keepalive = Number(values.keepalive ?? 25);
      if (!Number.isInteger(keepalive) || keepalive < 10 || keepalive > 120) throw new UsageError('--keepalive: 10 to 120 seconds');
      // With the API configured, the node's side comes from the School's status and the public key is proposed.
      const api = values.offline || !io.env.POSBON_API_URL ? undefined : await apiClient(io);
      const view = api ? (await api.school(schoolId)).tunnel : null;
      const fromView = view?.nodeAddress && view.nodePublicKey ? [view.address, view.nodeAddress, view.nodePublicKey, view.endpoint] : [];
      const [address, nodeAddress, nodePublicKey, endpoint] = (nodeFlags.every(Boolean) ? nodeFlags : fromView) as [string, string, string, string];
      const outcome = await writeTunnel({
        schoolId,
        gateway,
        dir: values.dir ?? 'posbon-tunnel',
        exposed,
        iface: values.iface ?? 'posbon',
        lanInterface: values['lan-interface'] ?? 'eth1',
        ...(address ? { node: { address, nodeAddress, nodePublicKey, endpoint, persistentKeepalive: keepalive } } : {}),
      });
      if (gateway === 'windows' && address) io.err(`${ERROR_PREFIX}${WINDOWS_CAVEAT}`);
      const expose = [...new Set(exposed.map((n) => n.host))].sort();
      const proposed = api ? await api.proposeTunnel(schoolId, { publicKey: outcome.publicKey, expose, persistentKeepalive: keepalive }) : undefined;
      const checks = values.check?.length ? await checkTunnel(api ?? (await apiClient(io)), values.check) : undefined;
      const result: Outcome = { ...outcome, ...(proposed ? { pullRequest: proposed.proposal } : {}), ...(checks ? { checks } : {}) };
      return report(io, values.json, result, linesOf);
    } catch (error) {
      return fail(error, io);
    }
  },
};
