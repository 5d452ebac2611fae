// The node side of the tunnel: applies the rendered peers and routes to the live WireGuard interface.
import { execFile } from 'node:child_process';

/** Runs a command with optional stdin, without a shell unless the caller names one. */
export type Exec = (command: string, args: string[], input?: string) => Promise<string>;

export const execCommand =
  (env: NodeJS.ProcessEnv = process.env): Exec =>
  (command, args, input) =>
    new Promise((resolve, reject) => {
      const child = execFile(command, args, { env, timeout: 15_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${command} ${args.slice(0, 3).join(' ')}: ${stderr.trim() || error.message}`)) : resolve(stdout),
      );
      if (input !== undefined) child.stdin!.end(input);
    });

/**
 * Puts the private key into the rendered `[Interface]` section, in memory only. `wg syncconf` treats a missing
 * PrivateKey as "remove it", so the key must be in every text it reads.
 */
export function assembleWireGuardConfig(peers: string, privateKey: string): string {
  const key = privateKey.trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(key)) throw new Error('the WireGuard private key is not 32 bytes of base64');
  const lines = peers.split('\n');
  const at = lines.findIndex((l) => l.trim() === '[Interface]');
  if (at < 0) throw new Error('the rendered peers have no [Interface] section');
  return [...lines.slice(0, at + 1), `PrivateKey = ${key}`, ...lines.slice(at + 1)].join('\n');
}

export interface RouteChanges {
  add: string[];
  remove: string[];
}

/** Routes to add and to drop on the tunnel interface; the range's own connected route is never touched. */
export function routeChanges(current: readonly string[], desired: readonly string[]): RouteChanges {
  const want = new Set(desired);
  const have = new Set(current);
  return { add: desired.filter((r) => !have.has(r)), remove: current.filter((r) => !want.has(r)) };
}

export interface PeerHandshake {
  publicKey: string;
  endpoint?: string;
  /** Unset when the peer never completed a handshake. */
  latestHandshake?: Date;
  rxBytes: number;
  txBytes: number;
}

/** Parses `wg show <iface> dump`: one interface line, then one tab-separated line per peer. */
export function parseWireGuardDump(dump: string): PeerHandshake[] {
  return dump
    .trim()
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((line) => {
      const [publicKey, , endpoint, , handshake, rx, tx] = line.split('\t') as string[];
      const seconds = Number(handshake);
      return {
        publicKey: publicKey!,
        ...(endpoint && endpoint !== '(none)' ? { endpoint } : {}),
        ...(seconds > 0 ? { latestHandshake: new Date(seconds * 1000) } : {}),
        rxBytes: Number(rx ?? 0),
        txBytes: Number(tx ?? 0),
      };
    });
}

export interface TunnelSyncDeps {
  iface: string;
  exec: Exec;
}

export class TunnelSync {
  private constructor(private readonly deps: TunnelSyncDeps) {}

  static create(deps: TunnelSyncDeps): TunnelSync {
    return new TunnelSync(deps);
  }

  /**
   * Applies peers and routes. `wg syncconf` changes only the peers that differ, so the sessions of every other school
   * keep flowing; routes are replaced one destination at a time for the same reason.
   */
  async apply(peers: string, routes: readonly string[], privateKey: string): Promise<RouteChanges> {
    const { iface, exec } = this.deps;
    // Node hands a child a socket as stdin, which `wg` cannot fopen; `cat |` turns it into a pipe. The key stays in memory.
    await exec('sh', ['-c', 'cat | wg syncconf "$1" /dev/stdin', 'sh', iface], assembleWireGuardConfig(peers, privateKey));
    const changes = routeChanges(await this.currentRoutes(), routes);
    for (const route of changes.add) await exec('ip', ['route', 'replace', route, 'dev', iface]);
    for (const route of changes.remove) await exec('ip', ['route', 'del', route, 'dev', iface]);
    return changes;
  }

  /** Host routes on the interface (`a.b.c.d/32`); the connected route of the tunnel range is not one of them. */
  async currentRoutes(): Promise<string[]> {
    const out = await this.deps.exec('ip', ['-4', 'route', 'show', 'dev', this.deps.iface]);
    return out
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter((d) => /^\d+\.\d+\.\d+\.\d+$/.test(d) || /\/32$/.test(d))
      .map((d) => (d.includes('/') ? d : `${d}/32`))
      .sort();
  }

  /**
   * Creates the interface when it is missing: the kernel's WireGuard when the node has it, else the userspace
   * `wireguard-go` (started by `userspace`), then gives it the node's address. Idempotent.
   */
  async ensureInterface(address: string, userspace?: (iface: string) => Promise<void>): Promise<void> {
    const { iface, exec } = this.deps;
    const exists = await exec('ip', ['link', 'show', 'dev', iface]).then(
      () => true,
      () => false,
    );
    if (!exists) {
      const kernel = await exec('ip', ['link', 'add', 'dev', iface, 'type', 'wireguard']).then(
        () => true,
        () => false,
      );
      if (!kernel) {
        if (!userspace) throw new Error(`cannot create ${iface}: no WireGuard in the kernel and no userspace implementation allowed`);
        await userspace(iface);
      }
    }
    await exec('ip', ['address', 'replace', address, 'dev', iface]);
    await exec('ip', ['link', 'set', 'dev', iface, 'up']);
  }

  async handshakes(): Promise<PeerHandshake[]> {
    return parseWireGuardDump(await this.deps.exec('wg', ['show', this.deps.iface, 'dump']));
  }
}
