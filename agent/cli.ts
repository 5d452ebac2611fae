// `npm run agent -- <command>`: the LAN agent. Secrets come from the environment or files, never from flags, so
// they stay out of shell history and process lists (a pairing code may be a flag: it is spent the moment it works).
//   page      [--port N] [--no-open]                  the local page on 127.0.0.1 (opened in the browser)
//   pair      [--code C | --link L | --code-file F] [--api URL] [--label L]   pair with a school admin's one-time code
//   diagnose  [--school S] [--out FILE] [--upload]      redacted report: LAN, public address, clock, node, NVRs, cameras
//   status                                                       the paired school, its media node and egress IPs
//   scan      [--subnet CIDR]... [--concurrency N] [--json]      find devices on this machine's own LAN
//   discover  [--target IP]... [--no-multicast] [--timeout-ms N] [--username U]   list ONVIF devices (and cameras)
//   submit    --school S --name N --lan-host IP [--lan-onvif-port 80] --public-host H [--public-rtsp-port 554]
//             [--public-onvif-port P] [--vendor V] --username U                   test from the node, then propose
//   provision-faceid --school S --device NAME [--faceid-vendor hikvision|dahua|zkteco] --lan-host IP [--lan-port 80]
//             [--direction in|out] --username U [--wait-s N]
//                                                     point a terminal at the webhook (Hikvision ISAPI, Dahua CGI;
//                                                     ZKTeco: the values to enter on it), then wait for its first push
//   tunnel    --school S --nvr IP:PORT[,PORT]... [--gateway linux|windows|mikrotik] [--dir D] [--iface posbon]
//             [--lan-interface eth1] [--address A --node-address A --node-public-key K --endpoint H:P
//             --keepalive 25] [--check NVR]... [--offline]
//                                                     gateway key pair (kept in D); proposes tunnel mode with its
//                                                     public key (unless --offline); the gateway config once the
//                                                     node's side is known (from the School's status, or flags);
//                                                     a play of each named NVR from the media node through the tunnel
// Environment: the paired credentials (POSBON_AGENT_CREDENTIALS names their file), or for automation POSBON_API_URL
// with POSBON_AGENT_TOKEN or POSBON_AGENT_TOKEN_FILE; and the device password in
// POSBON_NVR_PASSWORD or the file named by --password-file.
// Exit codes: 0 done, 1 anything unforeseen, 2 bad usage, 3 a device or mapping problem to fix at the school,
// 4 the API refused, 5 the API could not be reached.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { discover } from './discovery.js';
import { inventory } from './inventory.js';
import { ApiRefused, PosbonClient } from './posbon.js';
import { DeviceProblem, submitNvr } from './submit.js';
import { provisionFaceId } from './faceid/provision.js';
import { AgentSession, credentialsPath } from './credentials.js';
import { pairCommand, PairUsageError } from './cli/pair.js';
import { NotPaired, statusCommand } from './cli/status.js';
import { pageCommand } from './cli/page.js';
import { diagnoseCommand } from './cli/diagnose.js';
import { NotOnLan, renderScan, scanCommand, ScanUsageError } from './cli/scan.js';
import { checkTunnel, WINDOWS_CAVEAT, writeTunnel, type ExposedNvr, type GatewayKind } from './tunnel.js';

class UsageError extends Error {}

const VENDORS = ['hikvision', 'dahua', 'uniview', 'onvif'] as const;
const COMMANDS = 'page, pair, status, scan, diagnose, discover, submit, provision-faceid or tunnel';

const portOf = (value: string | undefined, flag: string, fallback?: number): number | undefined => {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--${flag}: must be a port number (1-65535), got ${JSON.stringify(value)}`);
  return port;
};

const required = (value: string | undefined, flag: string): string => {
  if (!value) throw new UsageError(`--${flag} is required`);
  return value;
};

async function secret(env: string, file: string | undefined, what: string): Promise<string | undefined> {
  if (file) {
    try {
      return (await readFile(file, 'utf8')).trim();
    } catch (error) {
      throw new UsageError(`${what}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  return process.env[env] || undefined;
}

async function client(): Promise<PosbonClient> {
  const token = await secret('POSBON_AGENT_TOKEN', process.env.POSBON_AGENT_TOKEN_FILE, 'agent token');
  // Without a token for automation, the paired agent's own credentials (`pair`).
  if (!token) {
    const path = credentialsPath();
    if (!existsSync(path)) throw new UsageError('not paired: run `pair` with the code a school admin creates (or set POSBON_AGENT_TOKEN for automation)');
    const session = await AgentSession.open(path);
    return new PosbonClient(process.env.POSBON_API_URL ?? session.apiUrl, session.accessToken);
  }
  const url = process.env.POSBON_API_URL;
  if (!url) throw new UsageError('POSBON_API_URL is not set: the Posbon API the agent reports to');
  return new PosbonClient(url, token);
}

async function run(argv: string[]): Promise<unknown> {
  const [command, ...rest] = argv;
  if (command === 'pair') return pairCommand(rest);
  if (command === 'status') return statusCommand();
  if (command === 'page') return pageCommand(rest);
  if (command === 'diagnose') {
    return diagnoseCommand(rest, client, async () => (existsSync(credentialsPath()) ? (await AgentSession.open(credentialsPath())).schoolId : undefined));
  }
  if (command === 'scan') {
    const { report, json } = await scanCommand(rest);
    return json ? report : { text: renderScan(report) };
  }
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      target: { type: 'string', multiple: true },
      'no-multicast': { type: 'boolean' },
      'timeout-ms': { type: 'string' },
      username: { type: 'string' },
      'password-file': { type: 'string' },
      school: { type: 'string' },
      name: { type: 'string' },
      'lan-host': { type: 'string' },
      'lan-onvif-port': { type: 'string' },
      'public-host': { type: 'string' },
      'public-rtsp-port': { type: 'string' },
      'public-onvif-port': { type: 'string' },
      vendor: { type: 'string' },
      device: { type: 'string' },
      'lan-port': { type: 'string' },
      direction: { type: 'string' },
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
      'faceid-vendor': { type: 'string' },
      'wait-s': { type: 'string' },
      offline: { type: 'boolean' },
    },
  });
  const password = () => secret('POSBON_NVR_PASSWORD', values['password-file'], 'device password');
  if (command === 'discover') {
    const timeoutMs = Number(values['timeout-ms'] ?? 2000);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 60_000) throw new UsageError('--timeout-ms: 100 to 60000');
    const devices = await discover({ multicast: !values['no-multicast'], targets: values.target ?? [], timeoutMs });
    const pw = values.username ? await password() : undefined;
    if (values.username && !pw) throw new UsageError('--username needs the password in POSBON_NVR_PASSWORD or --password-file');
    return Promise.all(
      devices.map(async (d) => {
        if (!values.username || !pw) return d;
        try {
          return { ...d, ...(await inventory({ host: d.onvifHost, port: d.onvifPort, username: values.username, password: pw })) };
        } catch (error) {
          return { ...d, error: (error as Error).message };
        }
      }),
    );
  }
  if (command === 'submit') {
    const vendor = values.vendor;
    if (vendor !== undefined && !(VENDORS as readonly string[]).includes(vendor)) throw new UsageError(`--vendor: one of ${VENDORS.join(', ')}`);
    const username = required(values.username, 'username');
    const pw = await password();
    if (!pw) throw new UsageError('the device password: set POSBON_NVR_PASSWORD or --password-file');
    const publicOnvif = portOf(values['public-onvif-port'], 'public-onvif-port');
    const request = {
      schoolId: required(values.school, 'school'),
      name: required(values.name, 'name'),
      lan: { host: required(values['lan-host'], 'lan-host'), onvifPort: portOf(values['lan-onvif-port'], 'lan-onvif-port', 80)! },
      mapping: {
        publicHost: required(values['public-host'], 'public-host'),
        rtspPort: portOf(values['public-rtsp-port'], 'public-rtsp-port', 554)!,
        ...(publicOnvif !== undefined ? { onvifPort: publicOnvif } : {}),
      },
      credentials: { username, password: pw },
      ...(vendor ? { vendor: vendor as (typeof VENDORS)[number] } : {}),
    };
    return submitNvr(await client(), request);
  }
  if (command === 'provision-faceid') {
    const direction = values.direction ?? 'in';
    if (direction !== 'in' && direction !== 'out') throw new UsageError('--direction: in or out');
    const vendor = values['faceid-vendor'] ?? 'hikvision';
    if (vendor !== 'hikvision' && vendor !== 'dahua' && vendor !== 'zkteco') throw new UsageError('--faceid-vendor: hikvision, dahua or zkteco');
    // ZKTeco is set on the terminal's own menu: no LAN login.
    const username = vendor === 'zkteco' ? '' : required(values.username, 'username');
    const pw = vendor === 'zkteco' ? '' : await password();
    if (vendor !== 'zkteco' && !pw) throw new UsageError('the terminal password: set POSBON_NVR_PASSWORD or --password-file');
    const waitS = values['wait-s'] === undefined ? undefined : Number(values['wait-s']);
    if (waitS !== undefined && !(Number.isInteger(waitS) && waitS >= 1 && waitS <= 3600)) throw new UsageError('--wait-s: 1 to 3600 seconds');
    const outcome = await provisionFaceId(
      await client(),
      {
        vendor,
        schoolId: required(values.school, 'school'),
        device: required(values.device, 'device'),
        direction,
        lan: { host: vendor === 'zkteco' ? (values['lan-host'] ?? '') : required(values['lan-host'], 'lan-host'), port: portOf(values['lan-port'], 'lan-port', 80)! },
        credentials: { username, password: pw ?? '' },
      },
      waitS === undefined ? undefined : { timeoutMs: waitS * 1000, onWaiting: () => process.stderr.write('posbon-agent: waiting for the terminal\'s first push to reach the webhook…\n') },
    );
    if (outcome.firstPushAt === null) throw new DeviceProblem(`no push from ${outcome.device} reached the webhook within ${waitS} s: check the terminal's settings and that it reaches ${outcome.pushesTo}`);
    return outcome;
  }
  if (command === 'tunnel') return tunnel(values);
  throw new UsageError(command ? `unknown command ${command}: ${COMMANDS}` : `a command is required: ${COMMANDS}`);
}

const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;

function exposedOf(specs: string[] | undefined): ExposedNvr[] {
  if (!specs?.length) throw new UsageError('--nvr IP:PORT[,PORT] is required, once per NVR the gateway exposes');
  return specs.map((s) => {
    const [host, ports] = s.split(':');
    if (!host || !IPV4.test(host) || !ports) throw new UsageError(`--nvr: IP:PORT[,PORT], got ${JSON.stringify(s)}`);
    return { host, ports: ports.split(',').map((p) => portOf(p, 'nvr')!) };
  });
}

async function tunnel(values: Record<string, string | boolean | string[] | undefined>): Promise<unknown> {
  const str = (k: string) => values[k] as string | undefined;
  const gateway = str('gateway') ?? 'linux';
  if (!['linux', 'windows', 'mikrotik'].includes(gateway)) throw new UsageError('--gateway: linux, windows or mikrotik');
  const schoolId = required(str('school'), 'school');
  const exposed = exposedOf(values.nvr as string[] | undefined);
  const nodeFlags = ['address', 'node-address', 'node-public-key', 'endpoint'].map(str);
  if (nodeFlags.some(Boolean) && !nodeFlags.every(Boolean)) throw new UsageError('--address, --node-address, --node-public-key and --endpoint go together (from the School\'s status)');
  const keepalive = Number(str('keepalive') ?? 25);
  if (!Number.isInteger(keepalive) || keepalive < 10 || keepalive > 120) throw new UsageError('--keepalive: 10 to 120 seconds');
  // With the API configured, the node's side comes from the School's status and the public key is proposed.
  const api = values.offline || !process.env.POSBON_API_URL ? undefined : await client();
  const view = api ? (await api.school(schoolId)).tunnel : null;
  const fromView = view?.nodeAddress && view.nodePublicKey ? [view.address, view.nodeAddress, view.nodePublicKey, view.endpoint] : [];
  const [address, nodeAddress, nodePublicKey, endpoint] = (nodeFlags.every(Boolean) ? nodeFlags : fromView) as [string, string, string, string];
  const outcome = await writeTunnel({
    schoolId,
    gateway: gateway as GatewayKind,
    dir: str('dir') ?? 'posbon-tunnel',
    exposed,
    iface: str('iface') ?? 'posbon',
    lanInterface: str('lan-interface') ?? 'eth1',
    ...(address ? { node: { address, nodeAddress, nodePublicKey, endpoint, persistentKeepalive: keepalive } } : {}),
  });
  if (gateway === 'windows' && address) process.stderr.write(`posbon-agent: ${WINDOWS_CAVEAT}\n`);
  const expose = [...new Set(exposed.map((n) => n.host))].sort();
  const proposed = api ? await api.proposeTunnel(schoolId, { publicKey: outcome.publicKey, expose, persistentKeepalive: keepalive }) : undefined;
  const nvrIds = values.check as string[] | undefined;
  const checks = nvrIds?.length ? await checkTunnel(api ?? (await client()), nvrIds) : undefined;
  return { ...outcome, ...(proposed ? { pullRequest: proposed.proposal } : {}), ...(checks ? { checks } : {}) };
}

const isText = (result: unknown): result is { text: string } =>
  typeof result === 'object' && result !== null && Object.keys(result).length === 1 && typeof (result as { text?: unknown }).text === 'string';

function exitCodeOf(error: unknown): number {
  if (error instanceof NotOnLan) return 3;
  if (error instanceof UsageError || error instanceof ScanUsageError || error instanceof PairUsageError || error instanceof NotPaired || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) return 2;
  if (error instanceof DeviceProblem) return 3;
  if (error instanceof ApiRefused) return error.status === 0 ? 5 : 4;
  return 1;
}

run(process.argv.slice(2)).then(
  (result) => process.stdout.write(isText(result) ? result.text : `${JSON.stringify(result, null, 2)}\n`),
  (error: unknown) => {
    process.stderr.write(`posbon-agent: ${(error as Error).message.split('\n')[0]}\n`);
    process.exitCode = exitCodeOf(error);
  },
);
