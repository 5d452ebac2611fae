// `tunnel`: the school's WireGuard gateway. The key pair is made here and only its public half leaves the school;
// the gateway config exposes exactly the declared NVR addresses and ports to the media node, nothing else on the LAN.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ProbeResult } from '../lib/devices/result.js';
import { generateKeyPair, publicKeyOf } from '../lib/wireguard/keys.js';
import type { PosbonClient } from './api-client.js';

export { generateKeyPair, publicKeyOf, type KeyPair } from '../lib/wireguard/keys.js';

export interface ExposedNvr {
  host: string;
  ports: number[];
}

export interface GatewayInputs {
  school: string;
  privateKey: string;
  /** The gateway's address in the node's tunnel range (School status). */
  address: string;
  /** The node's own tunnel address, the only source the gateway forwards from. */
  nodeAddress: string;
  nodePublicKey: string;
  /** host:port of the node's WireGuard endpoint. */
  endpoint: string;
  persistentKeepalive: number;
  exposed: ExposedNvr[];
  /** Interface name of the tunnel on the gateway. */
  iface: string;
  /** The gateway's LAN interface (Linux) towards the NVRs. */
  lanInterface: string;
}

const CHAIN = 'POSBON-TUNNEL';

/** wg-quick's file, with iptables rules in PostUp/PostDown that forward only the declared NVR ports. */
export function renderLinuxGateway(g: GatewayInputs): string {
  const rules = (op: 'up' | 'down') => linuxRules(g, op).map((r) => `${op === 'up' ? 'PostUp' : 'PostDown'} = ${r}`);
  return [
    `# Posbon tunnel of school ${g.school}: the gateway dials the media node; nothing at the school listens.`,
    '[Interface]',
    `PrivateKey = ${g.privateKey}`,
    `Address = ${g.address}/32`,
    ...rules('up'),
    ...rules('down'),
    '',
    '[Peer]',
    `PublicKey = ${g.nodePublicKey}`,
    `Endpoint = ${g.endpoint}`,
    `AllowedIPs = ${g.nodeAddress}/32`,
    `PersistentKeepalive = ${g.persistentKeepalive}`,
    '',
  ].join('\n');
}

/** The iptables commands that confine the node to the declared NVR ports; the same list tears them down. */
export function linuxRules(g: Pick<GatewayInputs, 'iface' | 'lanInterface' | 'nodeAddress' | 'exposed'>, op: 'up' | 'down'): string[] {
  const allow = [...g.exposed]
    .sort((a, b) => a.host.localeCompare(b.host))
    .flatMap((n) => [...n.ports].sort((a, b) => a - b).map((p) => `iptables -A ${CHAIN} -s ${g.nodeAddress} -d ${n.host} -p tcp --dport ${p} -j ACCEPT`));
  const up = [
    'sysctl -qw net.ipv4.ip_forward=1',
    `iptables -N ${CHAIN}`,
    `iptables -A ${CHAIN} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
    ...allow,
    `iptables -A ${CHAIN} -j DROP`,
    `iptables -I FORWARD -i ${g.iface} -j ${CHAIN}`,
    // The node may reach no service of the gateway itself.
    `iptables -I INPUT -i ${g.iface} -m conntrack --ctstate NEW -j DROP`,
    // NVRs answer the gateway, which knows the way back into the tunnel.
    `iptables -t nat -I POSTROUTING -s ${g.nodeAddress} -o ${g.lanInterface} -j MASQUERADE`,
  ];
  if (op === 'up') return up;
  return [
    `iptables -t nat -D POSTROUTING -s ${g.nodeAddress} -o ${g.lanInterface} -j MASQUERADE`,
    `iptables -D INPUT -i ${g.iface} -m conntrack --ctstate NEW -j DROP`,
    `iptables -D FORWARD -i ${g.iface} -j ${CHAIN}`,
    `iptables -F ${CHAIN}`,
    `iptables -X ${CHAIN}`,
  ];
}

/** Why a Windows gateway is weaker than the others; the CLI prints it with the files. */
export const WINDOWS_CAVEAT =
  "Windows' firewall does not filter routed packets, so a Windows gateway cannot confine the node to the declared NVR ports: the node's own peer config (one /32 per NVR) is the only limit. Prefer a Linux or RouterOS gateway.";

/** WireGuard for Windows' tunnel file and a PowerShell script that forwards and NATs the node's traffic to the NVRs. */
export function renderWindowsGateway(g: GatewayInputs): { conf: string; script: string } {
  const conf = [
    `# Posbon tunnel of school ${g.school}`,
    '[Interface]',
    `PrivateKey = ${g.privateKey}`,
    `Address = ${g.address}/32`,
    '',
    '[Peer]',
    `PublicKey = ${g.nodePublicKey}`,
    `Endpoint = ${g.endpoint}`,
    `AllowedIPs = ${g.nodeAddress}/32`,
    `PersistentKeepalive = ${g.persistentKeepalive}`,
    '',
  ].join('\r\n');
  const lines = [
    `# Posbon tunnel of school ${g.school}: run as Administrator after importing ${g.iface}.conf into WireGuard.`,
    `# ${WINDOWS_CAVEAT}`,
    '$ErrorActionPreference = "Stop"',
    `Set-NetIPInterface -InterfaceAlias "${g.iface}" -Forwarding Enabled`,
    `Set-NetIPInterface -InterfaceAlias "${g.lanInterface}" -Forwarding Enabled`,
    `New-NetNat -Name "posbon-${g.school}" -InternalIPInterfaceAddressPrefix ${g.nodeAddress}/32`,
    // The gateway's own services stay closed to the node.
    `New-NetFirewallRule -DisplayName "Posbon tunnel ${g.school}" -Direction Inbound -InterfaceAlias "${g.iface}" -Action Block`,
  ];
  return { conf, script: `${lines.join('\r\n')}\r\n` };
}

/** RouterOS 7 commands, as text for the school's admin to paste into the router's terminal. */
export function renderMikroTikGateway(g: GatewayInputs): string {
  const [host, port] = splitEndpoint(g.endpoint);
  const c = `comment="posbon ${g.school}"`;
  return [
    `# Posbon tunnel of school ${g.school} (RouterOS 7)`,
    `/interface wireguard add name=${g.iface} private-key="${g.privateKey}" ${c}`,
    `/interface wireguard peers add interface=${g.iface} public-key="${g.nodePublicKey}" endpoint-address=${host} endpoint-port=${port} allowed-address=${g.nodeAddress}/32 persistent-keepalive=${g.persistentKeepalive}s ${c}`,
    `/ip address add address=${g.address}/32 network=${g.nodeAddress} interface=${g.iface} ${c}`,
    `/ip firewall filter add chain=input in-interface=${g.iface} connection-state=new action=drop place-before=0 ${c}`,
    `/ip firewall filter add chain=forward in-interface=${g.iface} action=drop place-before=0 ${c}`,
    ...[...g.exposed]
      .sort((a, b) => a.host.localeCompare(b.host))
      .map((n) => `/ip firewall filter add chain=forward in-interface=${g.iface} src-address=${g.nodeAddress} dst-address=${n.host} protocol=tcp dst-port=${[...n.ports].sort((a, b) => a - b).join(',')} action=accept place-before=0 ${c}`),
    `/ip firewall filter add chain=forward in-interface=${g.iface} connection-state=established,related action=accept place-before=0 ${c}`,
    `/ip firewall nat add chain=srcnat src-address=${g.nodeAddress} action=masquerade ${c}`,
    '',
  ].join('\n');
}

function splitEndpoint(endpoint: string): [string, string] {
  const at = endpoint.lastIndexOf(':');
  return [endpoint.slice(0, at), endpoint.slice(at + 1)];
}

/** The School fields to propose: the public key and the exposure, never the private key. */
export function proposedTunnel(publicKey: string, exposed: ExposedNvr[]): string {
  return stringify({ spec: { networkMode: 'tunnel', tunnel: { publicKey, expose: [...new Set(exposed.map((n) => n.host))].sort() } } });
}

export type GatewayKind = 'linux' | 'windows' | 'mikrotik';

export interface TunnelRequest {
  schoolId: string;
  gateway: GatewayKind;
  dir: string;
  exposed: ExposedNvr[];
  iface: string;
  lanInterface: string;
  /** From the School's status once the node serves its tunnel; without it only the key and the proposal are written. */
  node?: { address: string; nodeAddress: string; nodePublicKey: string; endpoint: string; persistentKeepalive: number };
}

export interface TunnelOutcome {
  publicKey: string;
  files: string[];
  proposal: string;
}

/** Loads the gateway's key from `dir` or makes one there (mode 0600), then writes the proposal and the gateway files. */
export async function writeTunnel(request: TunnelRequest): Promise<TunnelOutcome> {
  await mkdir(request.dir, { recursive: true, mode: 0o700 });
  const keyFile = join(request.dir, 'private.key');
  let privateKey: string;
  try {
    privateKey = (await readFile(keyFile, 'utf8')).trim();
  } catch {
    privateKey = generateKeyPair().privateKey;
    await writeFile(keyFile, `${privateKey}\n`, { mode: 0o600 });
  }
  await chmod(keyFile, 0o600);
  const publicKey = publicKeyOf(privateKey);
  const proposal = proposedTunnel(publicKey, request.exposed);
  const files = [join(request.dir, 'school-tunnel.yaml')];
  await writeFile(files[0]!, proposal);
  if (request.node) {
    const g: GatewayInputs = { school: request.schoolId, privateKey, exposed: request.exposed, iface: request.iface, lanInterface: request.lanInterface, ...request.node };
    const out: Record<string, string> =
      request.gateway === 'linux'
        ? { [`${request.iface}.conf`]: renderLinuxGateway(g) }
        : request.gateway === 'windows'
          ? { [`${request.iface}.conf`]: renderWindowsGateway(g).conf, [`${request.iface}.ps1`]: renderWindowsGateway(g).script }
          : { [`${request.iface}.rsc`]: renderMikroTikGateway(g) };
    for (const [name, text] of Object.entries(out)) {
      await writeFile(join(request.dir, name), text, { mode: 0o600 });
      files.push(join(request.dir, name));
    }
  }
  return { publicKey, files, proposal };
}

/** Plays each declared tunnel NVR from its media node through the tunnel, with the existing test-from-node flow. */
export async function checkTunnel(client: PosbonClient, nvrIds: readonly string[]): Promise<Array<{ nvr: string; result: ProbeResult }>> {
  const out = [];
  for (const nvr of nvrIds) out.push({ nvr, result: await client.testNvr(nvr, { kind: 'rtsp' }) });
  return out;
}
