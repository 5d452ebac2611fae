// The operator's side of tunnel mode: each node's WireGuard key in a Secret, its peers in a ConfigMap, and the
// handshakes its sidecar reports, kept for the schools' status.
import { ApiException, type CoreV1Api } from '@kubernetes/client-node';
import { renderTunnelRoutes, renderWireGuardPeers, type NodeTunnel } from '../core/tunnel.js';
import type { Logger } from '../../lib/log/logger.js';
import { generateKeyPair, publicKeyOf } from '../../lib/wireguard/keys.js';
import { MANAGED_LABELS, NODE_LABEL, TUNNEL_PORT, tunnelConfigMapName, tunnelKeySecretName } from '../workload.js';

type Manifest = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string } & Record<string, unknown> };

export interface TunnelShellDeps {
  core: CoreV1Api;
  namespace: string;
  apply(manifest: Manifest): Promise<void>;
  log: Logger;
  /** Base URL of the node's WireGuard sidecar. */
  urlFor?: (node: string) => string;
}

export interface SchoolHandshake {
  node: string;
  latestHandshake?: Date;
}

export class TunnelShell {
  private readonly publicKeys = new Map<string, string>();
  private readonly handshakes = new Map<string, SchoolHandshake>();

  private constructor(private readonly deps: TunnelShellDeps) {}

  static create(deps: TunnelShellDeps): TunnelShell {
    return new TunnelShell(deps);
  }

  /** The node's public key; its private half is made once, here, and stays in the Secret. */
  async nodePublicKey(node: string): Promise<string> {
    const cached = this.publicKeys.get(node);
    if (cached) return cached;
    const name = tunnelKeySecretName(node);
    let privateKey: string | undefined;
    try {
      const secret = await this.deps.core.readNamespacedSecret({ name, namespace: this.deps.namespace });
      privateKey = secret.data?.['private-key'] ? Buffer.from(secret.data['private-key'], 'base64').toString('utf8') : undefined;
    } catch (error) {
      if (!(error instanceof ApiException && error.code === 404)) throw error;
    }
    if (!privateKey) {
      privateKey = generateKeyPair().privateKey;
      await this.deps.core.createNamespacedSecret({
        namespace: this.deps.namespace,
        body: {
          metadata: { name, labels: { ...MANAGED_LABELS, [NODE_LABEL]: node } },
          type: 'Opaque',
          data: { 'private-key': Buffer.from(privateKey).toString('base64') },
        },
      });
    }
    const publicKey = publicKeyOf(privateKey);
    this.publicKeys.set(node, publicKey);
    return publicKey;
  }

  /** Writes the node's peers, routes and address; the sidecar applies them live with `wg syncconf`. */
  async applyNode(node: string, tunnel: NodeTunnel): Promise<string> {
    const publicKey = await this.nodePublicKey(node);
    await this.deps.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: tunnelConfigMapName(node), namespace: this.deps.namespace, labels: { ...MANAGED_LABELS, [NODE_LABEL]: node } },
      data: { 'peers.conf': renderWireGuardPeers(tunnel), routes: renderTunnelRoutes(tunnel), address: `${tunnel.address}\n` },
    });
    return publicKey;
  }

  async deleteNode(node: string): Promise<void> {
    const ignoreMissing = (error: unknown) => {
      if (!(error instanceof ApiException && error.code === 404)) throw error;
    };
    await this.deps.core.deleteNamespacedConfigMap({ name: tunnelConfigMapName(node), namespace: this.deps.namespace }).catch(ignoreMissing);
    await this.deps.core.deleteNamespacedSecret({ name: tunnelKeySecretName(node), namespace: this.deps.namespace }).catch(ignoreMissing);
    this.publicKeys.delete(node);
    for (const [school, h] of this.handshakes) if (h.node === node) this.handshakes.delete(school);
  }

  handshake(school: string): SchoolHandshake | undefined {
    return this.handshakes.get(school);
  }

  /** Reads each node's handshakes; returns the schools whose latest handshake changed. A node that fails is logged. */
  async poll(nodes: readonly string[]): Promise<string[]> {
    const changed: string[] = [];
    const urlFor = this.deps.urlFor ?? ((node: string) => `http://mediamtx-${node}.${this.deps.namespace}.svc:${TUNNEL_PORT}`);
    for (const node of nodes) {
      let rows: Array<{ school: string; latestHandshake: string | null }>;
      try {
        const res = await fetch(`${urlFor(node)}/handshakes`, { signal: AbortSignal.timeout(5000) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        rows = (await res.json()) as typeof rows;
      } catch (error) {
        this.deps.log.warn('tunnel handshakes unavailable', { resource: `MediaNode/${node}`, error: (error as Error).message });
        continue;
      }
      for (const row of rows) {
        const next: SchoolHandshake = { node, ...(row.latestHandshake ? { latestHandshake: new Date(row.latestHandshake) } : {}) };
        const before = this.handshakes.get(row.school);
        if (before?.node !== next.node || before?.latestHandshake?.getTime() !== next.latestHandshake?.getTime()) changed.push(row.school);
        this.handshakes.set(row.school, next);
      }
    }
    return changed;
  }
}
