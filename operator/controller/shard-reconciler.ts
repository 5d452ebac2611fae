// One media node's shard: load → early return (node gone) → render → apply → status in `finally` (on a cold start, kept for the status queue).
import type { V1Secret } from '@kubernetes/client-node';
import type { MediaNode, Nvr } from '../../crds/index.js';
import { sameStatus } from '../core/conditions.js';
import { nvrEndpoint } from '../core/endpoint.js';
import { publishedCameras } from '../core/fleet.js';
import { contentHash, nvrPaths, type NvrCredentials } from '../core/mediamtx.js';
import { sealedShardConfig } from '../core/shard-config.js';
import type { ShardPlan } from '../core/plan.js';
import { mediaNodeStatus, type NodeTunnelStatus, type Outcome } from '../core/status.js';
import { idleNodeTunnel } from '../core/tunnel.js';
import { certificateName } from '../core/media-tls.js';
import type { Logger } from '../../lib/log/logger.js';
import { renderProbeAllowlist } from '../../lib/probe-protocol/render-allowlist.js';
import { tunnelCondition } from '../tunnel/health.js';
import { CONFIG_FILE, MANAGED_LABELS, NODE_LABEL, configMapName, confKeySecretName, probeConfigMapName, probeCredentialsSecretName, renderWorkload } from '../workload.js';
import { ClusterWriter, HASH_ANNOTATION, apiErrorMessage, ownedBy, type Manifest } from './cluster-writer.js';
import type { ControllerConfig } from './config.js';
import type { OperatorMetrics } from './metrics.js';
import type { NodeSecrets } from './node-secrets.js';
import { TerminalError } from './queue.js';
import type { TunnelShell } from './tunnel.js';

export interface ShardReconcilerDeps {
  writer: ClusterWriter;
  secrets: NodeSecrets;
  tunnel: TunnelShell;
  config: ControllerConfig;
  log: Logger;
  metrics: OperatorMetrics;
  /** The node as the cache holds it now, for its latest status. */
  node(name: string): MediaNode | undefined;
  /** Every node's egress IPs, which no probe may target. */
  egressIPs(): string[];
  /** A credentials Secret of the fleet namespace, from the cache. */
  credentialsSecret(name: string): V1Secret | undefined;
  /** Told when a node's ConfigMap was written, for the edit-to-apply latency. */
  configApplied?(node: string): void;
}

interface Rendered {
  sealed: string;
  hash: string;
  cameraCount: number;
}

const decode = (value: string | undefined) => (value ? Buffer.from(value, 'base64').toString('utf8') : undefined);

export class ShardReconciler {
  /** Content hashes of the shard objects as the API server holds them: from the last list, and each write since. */
  private readonly live = new Map<string, string>();
  /** Credentials by the cached Secret's data object: held no longer than the cache holds that version. */
  private readonly decoded = new WeakMap<object, NvrCredentials | undefined>();
  /** Whether `live` stems from a list, so that a name missing from it is an object to create. */
  private listed = false;
  private readonly tunnelKeys = new Map<string, string>();
  /** The generation this replica last marked Reconciling per node. */
  private readonly markedGeneration = new Map<string, number>();
  /** The status this replica last wrote per node. */
  private readonly writtenStatus = new Map<string, unknown>();
  /** The last status write begun per node, settled or not. */
  private readonly statusWrites = new Map<string, Promise<unknown>>();
  /** Outcomes of `statusLater` reconciles, until the status queue writes them. */
  private readonly keptStatus = new Map<string, { shard: ShardPlan; outcome: Outcome; hash: string | undefined; applied: Rendered | undefined }>();

  private constructor(private readonly deps: ShardReconcilerDeps) {}

  static create(deps: ShardReconcilerDeps): ShardReconciler {
    return new ShardReconciler(deps);
  }

  /** The node's WireGuard public key, once its tunnel was applied. */
  tunnelKey(node: string): string | undefined {
    return this.tunnelKeys.get(node);
  }

  /** Lists the labelled shard objects: their hashes for skipping unchanged writes, and the nodes that have any. */
  async observe(): Promise<Set<string>> {
    const namespace = this.deps.config.mediaNamespace;
    const nodes = new Set<string>();
    this.live.clear();
    this.listed = false;
    const record = (prefix: string, items: Array<{ metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> } }>) => {
      for (const item of items) {
        const node = item.metadata?.labels?.[NODE_LABEL];
        if (node) nodes.add(node);
        const hash = item.metadata?.annotations?.[HASH_ANNOTATION];
        if (hash && item.metadata?.name) this.live.set(prefix + item.metadata.name, hash);
      }
    };
    record('', (await this.deps.writer.core.listNamespacedConfigMap({ namespace, labelSelector: NODE_LABEL })).items);
    if (this.deps.config.applyWorkloads) record('Deployment/', (await this.deps.writer.apps.listNamespacedDeployment({ namespace, labelSelector: NODE_LABEL })).items);
    this.listed = true;
    return nodes;
  }

  /**
   * With `statusLater` (a cold start's shards), the data path comes first: the outcome is kept for `writeKeptStatus`,
   * which the status queue calls once every shard of the plan was applied. The Reconciling mark is written either way,
   * so that kstatus never reads a node without a status as current.
   */
  async reconcile(name: string, shard: ShardPlan | undefined, options: { statusLater?: boolean } = {}): Promise<void> {
    if (!shard) return this.remove(name);
    const node = shard.node;
    let outcome: Outcome = { kind: 'failed', ready: { type: 'Ready', status: 'False', reason: 'ApplyFailed', message: 'the reconcile did not finish' } };
    let hash: string | undefined;
    /** The config this reconcile wrote, for its Event. */
    let applied: Rendered | undefined;
    try {
      // The Reconciling mark is written while the config renders; both settle before anything else is written.
      const [marked, rendering] = await Promise.allSettled([this.markReconciling(node), this.render(shard)]);
      if (marked.status === 'rejected') throw marked.reason;
      if (rendering.status === 'rejected') throw rendering.reason;
      const rendered = rendering.value;
      if (await this.applyConfig(shard, rendered)) applied = rendered;
      if (this.deps.config.probe) await this.applyProbeInputs(shard);
      if (this.deps.config.applyWorkloads) await this.applyWorkload(node);
      hash = rendered.hash;
      const overCapacity = rendered.cameraCount > node.spec.maxCameras;
      outcome = {
        kind: 'done',
        ready: overCapacity
          ? { type: 'Ready', status: 'False', reason: 'OverCapacity', message: `${rendered.cameraCount} cameras assigned, over maxCameras ${node.spec.maxCameras}; all are published` }
          : { type: 'Ready', status: 'True', reason: 'ConfigApplied', message: `${rendered.cameraCount} cameras of ${shard.schools.length} schools` },
      };
    } catch (error) {
      outcome =
        error instanceof TerminalError
          ? { kind: 'stalled', ready: { type: 'Ready', status: 'False', reason: error.reason, message: error.message.slice(0, 1024) } }
          : { kind: 'failed', ready: { type: 'Ready', status: 'False', reason: 'ApplyFailed', message: apiErrorMessage(error, `shard of ${name}`) } };
      throw error;
    } finally {
      this.deps.metrics.shardStalled.set({ node: name }, outcome.kind === 'done' ? 0 : 1);
      this.deps.metrics.mediaNodeReady.set({ node: name }, outcome.ready.status === 'True' ? 1 : 0);
      if (options.statusLater) this.keptStatus.set(name, { shard, outcome, hash, applied });
      else {
        // A kept status this one replaces still tells of the config it wrote.
        const kept = this.keptStatus.get(name);
        if (kept?.applied) this.recordApplied(kept.shard, kept.applied);
        this.keptStatus.delete(name);
        if (applied) this.recordApplied(shard, applied);
        await this.writeStatus(name, shard, outcome, hash);
      }
    }
  }

  /**
   * What each node's first reconcile needs beside its render, done ahead of it: its Reconciling mark and its config
   * key; four nodes at a time, as the shard queue's own writes go, for as long as `leading` holds. A failure costs
   * nothing: the reconcile writes what is missing.
   */
  async prepare(nodes: MediaNode[], leading: () => boolean): Promise<void> {
    const queue = [...nodes];
    const next = async (): Promise<void> => {
      for (let node = queue.shift(); node && leading(); node = queue.shift()) {
        await Promise.all([this.markReconciling(node), this.deps.secrets.confKey(node)]).catch((error: unknown) =>
          this.deps.log.debug('node not prepared', { resource: `MediaNode/${node.metadata.name}`, error: String(error) }),
        );
      }
    };
    await Promise.all(Array.from({ length: 4 }, next));
  }

  /** Writes the status a `statusLater` reconcile kept; nothing when a later reconcile has written its own. */
  async writeKeptStatus(name: string): Promise<void> {
    const kept = this.keptStatus.get(name);
    if (!kept) return;
    if (kept.applied) this.recordApplied(kept.shard, kept.applied);
    kept.applied = undefined;
    await this.writeStatus(name, kept.shard, kept.outcome, kept.hash);
    if (this.keptStatus.get(name) === kept) this.keptStatus.delete(name);
  }

  /** The node's key, then pure work: the sealed config, or a terminal error that waits for the fleet to change. */
  private async render(shard: ShardPlan): Promise<Rendered> {
    const confKey = await this.deps.secrets.confKey(shard.node);
    // A render holds the event loop for tens of milliseconds: the writes other shards have begun go out first.
    await new Promise((resolve) => setImmediate(resolve));
    const { render, maxConfigBytes } = this.deps.config;
    const config = sealedShardConfig(shard, (nvr) => this.credentials(nvr), { render, confKey, maxConfigBytes });
    if (!config.ok) throw new TerminalError(config.reason, config.message);
    return config;
  }

  /**
   * The Event of a written config, recorded in the background as client-go's recorder does: it never holds up the
   * next shard. A cold start's Events follow its statuses, after every ConfigMap.
   */
  private recordApplied(shard: ShardPlan, rendered: Rendered): void {
    const name = shard.node.metadata.name;
    void this.deps.writer.event('MediaNode', name, 'Normal', 'ConfigApplied', `config ${rendered.hash} with ${rendered.cameraCount} cameras of ${shard.schools.length} schools`);
  }

  /** The node's tunnel, then its config; true when the ConfigMap was written. */
  private async applyConfig(shard: ShardPlan, rendered: Rendered): Promise<boolean> {
    const { node } = shard;
    const name = node.metadata.name;
    const { config } = this.deps;
    // Peers and routes first: a new tunnel path must find its route when MediaMTX loads it.
    // A node with the sidecar always has its (possibly empty) peers, so the sidecar can start before any tunnel school.
    const tunnel = shard.tunnel ?? (config.workload.tunnelImage ? idleNodeTunnel(node) : undefined);
    if (tunnel) this.tunnelKeys.set(name, await this.deps.tunnel.applyNode(name, tunnel));
    const live = this.live.get(configMapName(name));
    const changed = live !== rendered.hash;
    if (changed) {
      const manifest = {
        apiVersion: 'v1',
        kind: 'ConfigMap' as const,
        metadata: { name: configMapName(name), namespace: config.mediaNamespace, labels: { ...MANAGED_LABELS, [NODE_LABEL]: name }, annotations: { [HASH_ANNOTATION]: rendered.hash }, ownerReferences: ownedBy(node) },
        data: { [CONFIG_FILE]: rendered.sealed },
      };
      // A ConfigMap the last list did not show is created; one that exists after all is applied over.
      const created = live === undefined && this.listed && (await this.deps.writer.create(manifest));
      if (!created) await this.deps.writer.apply(manifest);
      this.live.set(configMapName(name), rendered.hash);
      this.deps.configApplied?.(name);
      this.deps.log.info('config applied', { resource: `MediaNode/${name}`, hash: rendered.hash, cameras: rendered.cameraCount, schools: shard.schools.length });
    }
    return changed;
  }

  /** Every shard object names its MediaNode as owner, so Kubernetes collects what a deleted node leaves. */
  applyOwned(node: MediaNode, manifest: Manifest): Promise<void> {
    return this.deps.writer.apply({ ...manifest, metadata: { ...manifest.metadata, ownerReferences: ownedBy(node) } });
  }

  private async applyWorkload(node: MediaNode): Promise<void> {
    const manifests = renderWorkload(node, { ...this.deps.config.workload, namespace: this.deps.config.mediaNamespace }) as Manifest[];
    const hash = contentHash(JSON.stringify(manifests));
    const key = `Deployment/${configMapName(node.metadata.name)}`;
    if (this.live.get(key) === hash) return;
    for (const manifest of manifests) {
      await this.applyOwned(node, { ...manifest, metadata: { ...manifest.metadata, annotations: { ...manifest.metadata.annotations, [HASH_ANNOTATION]: hash } } });
    }
    this.live.set(key, hash);
  }

  /** The sidecar's allowlist (the shard's NVRs, their public host and ports) and the credentials it may use. */
  private async applyProbeInputs(shard: ShardPlan): Promise<void> {
    const { node } = shard;
    const name = node.metadata.name;
    const fleetNs = this.deps.config.fleetNamespace;
    const allowlist = renderProbeAllowlist(
      name,
      // Members only: a tunnel NVR is here only when the tunnel plan routes its LAN address to its own school alone.
      shard.members.map(({ nvr }) => {
        const endpoint = nvrEndpoint(nvr);
        return {
          namespace: fleetNs,
          name: nvr.metadata.name,
          publicHost: endpoint.host,
          publicRtspPort: endpoint.rtspPort,
          ...(endpoint.onvifPort !== undefined ? { publicOnvifPort: endpoint.onvifPort } : {}),
          ...(endpoint.via === 'public' && nvr.spec.publicHttpPort !== undefined ? { publicHttpPort: nvr.spec.publicHttpPort } : {}),
          ...(endpoint.via === 'tunnel' ? { tunnel: true } : {}),
          credentialsSecret: nvr.spec.credentialsSecretRef.name,
        };
      }),
      this.deps.egressIPs(),
    );
    const credentials: Record<string, string> = {};
    for (const { nvr } of shard.members) {
      const secret = this.deps.credentialsSecret(nvr.spec.credentialsSecretRef.name);
      for (const field of ['username', 'password'] as const) {
        const value = secret?.data?.[field];
        if (value) credentials[`${fleetNs}.${nvr.spec.credentialsSecretRef.name}.${field}`] = value;
      }
    }
    const sorted = Object.fromEntries(Object.keys(credentials).sort().map((k) => [k, credentials[k]!]));
    const hash = contentHash(allowlist + JSON.stringify(sorted));
    const cmName = probeConfigMapName(name);
    if (this.live.get(cmName) === hash) return;
    const labels = { ...MANAGED_LABELS, [NODE_LABEL]: name };
    const namespace = this.deps.config.mediaNamespace;
    await this.applyOwned(node, { apiVersion: 'v1', kind: 'Secret', metadata: { name: probeCredentialsSecretName(name), namespace, labels }, type: 'Opaque', data: sorted });
    // The ConfigMap last: its hash stands for both, so a failure in between rewrites both.
    await this.applyOwned(node, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cmName, namespace, labels, annotations: { [HASH_ANNOTATION]: hash } }, data: { 'allowlist.json': allowlist } });
    this.live.set(cmName, hash);
  }

  /** Renders an NVR's part of its shard's config ahead of the shard (`nvrPaths`), once its credentials are cached. */
  renderNvr(nvr: Nvr): void {
    const cameras = publishedCameras(nvr);
    const credentials = cameras.length > 0 ? this.credentials(nvr) : undefined;
    if (credentials) nvrPaths(nvr, cameras, credentials);
  }

  private credentials(nvr: Nvr): NvrCredentials | undefined {
    const data = this.deps.credentialsSecret(nvr.spec.credentialsSecretRef.name)?.data;
    if (!data) return undefined;
    // Decoded once per version of the Secret (a changed one arrives as a new object), not once per NVR and render.
    if (!this.decoded.has(data)) {
      const username = decode(data.username);
      const password = decode(data.password);
      this.decoded.set(data, username && password ? { username, password } : undefined);
    }
    return this.decoded.get(data);
  }

  /** Reconciling=True while the node's new generation is being worked on, so kstatus reads it as in progress. */
  private async markReconciling(node: MediaNode): Promise<void> {
    const current = this.deps.node(node.metadata.name) ?? node;
    const generation = current.metadata.generation;
    if (generation === undefined || current.status?.observedGeneration === generation) return;
    if (current.status?.conditions?.some((c) => c.type === 'Reconciling' && c.status === 'True' && c.observedGeneration === generation)) return;
    // Marked by this replica already, and its watch has not brought the mark back yet.
    if (this.markedGeneration.get(node.metadata.name) === generation) return;
    const status = mediaNodeStatus(current, { node, schools: [], members: [], cameraCount: 0 }, { kind: 'reconciling', reason: 'Progressing', message: `applying generation ${current.metadata.generation}` }, { configMapName: configMapName(node.metadata.name) }, new Date().toISOString());
    await this.deps.writer.patchStatus('MediaNode', node.metadata.name, { conditions: status.conditions });
    this.markedGeneration.set(node.metadata.name, generation);
  }

  /** One status write at a time per node, in the order asked: a kept status never lands after a newer one. */
  private writeStatus(name: string, shard: ShardPlan, outcome: Outcome, hash: string | undefined): Promise<void> {
    const write = (this.statusWrites.get(name) ?? Promise.resolve()).then(() => this.patchStatus(name, shard, outcome, hash));
    const settled = write.catch(() => undefined);
    this.statusWrites.set(name, settled);
    void settled.then(() => this.statusWrites.get(name) === settled && this.statusWrites.delete(name));
    return write;
  }

  private async patchStatus(name: string, shard: ShardPlan, outcome: Outcome, hash: string | undefined): Promise<void> {
    const current = this.deps.node(name);
    if (!current) return;
    const tunnelKey = this.tunnelKeys.get(name);
    const tunnel: NodeTunnelStatus | undefined =
      shard.tunnel && tunnelKey
        ? {
            publicKey: tunnelKey,
            endpoint: shard.tunnel.endpoint,
            address: shard.tunnel.address.split('/')[0]!,
            peers: shard.tunnel.peers.length,
            stalePeers: shard.tunnel.peers.filter((p) => tunnelCondition(this.deps.tunnel.handshake(p.school)?.latestHandshake, new Date()).status !== 'True').length,
          }
        : undefined;
    const status = mediaNodeStatus(current, shard, outcome, { configMapName: configMapName(name), ...(hash ? { hash } : {}), ...(tunnel ? { tunnel } : {}) }, new Date().toISOString());
    // The cache may not show this replica's last write yet: unchanged means unchanged against both.
    const written = this.writtenStatus.get(name);
    if (sameStatus(status, current.status) && (!written || sameStatus(status, written))) return;
    await this.deps.writer.patchStatus('MediaNode', name, status);
    this.writtenStatus.set(name, status);
    const before = current.status?.conditions?.find((c) => c.type === 'Ready');
    if (outcome.kind !== 'reconciling' && (before?.reason !== outcome.ready.reason || before?.status !== outcome.ready.status) && outcome.ready.status !== 'True') {
      await this.deps.writer.event('MediaNode', name, 'Warning', outcome.ready.reason, outcome.ready.message);
    }
  }

  /** Deletes what a node that left the fleet had; the ConfigMap last, as the list of shards finds a node by it. */
  private async remove(node: string): Promise<void> {
    const { writer } = this.deps;
    const ns = this.deps.config.mediaNamespace;
    await writer.remove('Deployment', configMapName(node), ns);
    await writer.remove('Service', configMapName(node), ns);
    await writer.remove('Secret', confKeySecretName(node), ns);
    await writer.remove('ConfigMap', probeConfigMapName(node), ns);
    await writer.remove('Secret', probeCredentialsSecretName(node), ns);
    // cert-manager leaves a Certificate's Secret behind; both go with the node.
    await writer.removeCertificate(certificateName(node), ns);
    await writer.remove('Secret', certificateName(node), ns);
    await this.deps.tunnel.deleteNode(node);
    await writer.remove('ConfigMap', configMapName(node), ns);
    for (const key of [configMapName(node), `Deployment/${configMapName(node)}`, probeConfigMapName(node)]) this.live.delete(key);
    this.tunnelKeys.delete(node);
    this.writtenStatus.delete(node);
    this.markedGeneration.delete(node);
    this.keptStatus.delete(node);
    this.deps.secrets.forget(node);
    this.deps.metrics.mediaNodeReady.remove({ node });
    this.deps.metrics.shardStalled.remove({ node });
    this.deps.log.info('shard removed', { resource: `MediaNode/${node}` });
  }
}
