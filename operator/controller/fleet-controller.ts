// The imperative shell around the pure core: informers in, shards keyed by media node, ConfigMaps and status out.
import { randomBytes } from 'node:crypto';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Secret,
} from '@kubernetes/client-node';
import { GROUP, KINDS, VERSION, type Condition, type MediaNode, type Nvr, type School } from '../../crds/index.js';
import { planFleet, schoolPlacement, nvrKey, type FleetPlan, type ShardPlan } from '../core/plan.js';
import {
  contentHash,
  renderMediaMtxConfig,
  sealMediaMtxConfig,
  validateMediaMtxConfig,
  DEFAULT_RENDER_OPTIONS,
  type NvrCredentials,
  type RenderOptions,
} from '../core/mediamtx.js';
import { DEFAULT_ASSIGN_OPTIONS, type AssignOptions } from '../core/assign.js';
import type { Fleet } from '../core/fleet.js';
import {
  CONFIG_FILE,
  DEFAULT_WORKLOAD_OPTIONS,
  MANAGED_LABELS,
  NODE_LABEL,
  configMapName,
  confKeySecretName,
  probeConfigMapName,
  probeCredentialsSecretName,
  PROBE_PORT,
  PROBE_TOKEN_SECRET,
  renderWorkload,
  type WorkloadOptions,
} from '../workload.js';
import type { Logger } from '../../lib/log/logger.js';
import { setCondition, sameStatus, type ConditionInput } from './conditions.js';
import { ResourceInformer, paginated, type ChangeType } from './informers.js';
import { TerminalError, WorkQueue } from './queue.js';
import { ReachabilityReconciler } from './reachability.js';
import { renderProbeAllowlist } from '../../lib/probe-protocol/render-allowlist.js';
import type { OperatorMetrics } from './metrics.js';
import { TunnelShell } from './tunnel.js';
import { nvrEndpoint } from '../core/endpoint.js';
import { idleNodeTunnel } from '../core/tunnel.js';
import { tunnelCondition } from '../tunnel/health.js';
import { certificateName } from '../core/media-tls.js';

export const FIELD_MANAGER = 'posbon-operator';
export const HASH_ANNOTATION = 'posbon.io/config-hash';
const PLAN = 'plan';

export interface ControllerConfig {
  fleetNamespace: string;
  mediaNamespace: string;
  render: RenderOptions;
  workload: WorkloadOptions;
  assign: AssignOptions;
  /** Largest sealed config written to a ConfigMap; the API server refuses objects over 1 MiB. */
  maxConfigBytes: number;
  resyncMs: number;
  /** Whether to apply the Deployment and Service of each node (off where no workload API is wanted). */
  applyWorkloads: boolean;
  /** How NVRs are probed from their node's sidecar; off when unset. */
  probe?: { intervalMs: number; urlFor?: (node: string) => string };
  /** How often the WireGuard sidecars of tunnel nodes are asked for handshakes; off when unset. */
  tunnelPoll?: { intervalMs: number; urlFor?: (node: string) => string };
}

export const defaultControllerConfig = (overrides: Partial<ControllerConfig> = {}): ControllerConfig => ({
  fleetNamespace: 'posbon-fleet',
  mediaNamespace: 'posbon-media',
  render: DEFAULT_RENDER_OPTIONS,
  workload: DEFAULT_WORKLOAD_OPTIONS,
  assign: DEFAULT_ASSIGN_OPTIONS,
  maxConfigBytes: 1_000_000,
  resyncMs: 10 * 60_000,
  applyWorkloads: true,
  ...overrides,
});

type Kind = 'School' | 'Nvr' | 'MediaNode';

type Manifest = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string } & Record<string, unknown> };

const timezones = new Map<string, boolean>();
const isValidTimezone = (tz: string): boolean => {
  let valid = timezones.get(tz);
  if (valid === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      valid = true;
    } catch {
      valid = false;
    }
    timezones.set(tz, valid);
  }
  return valid;
};

interface Dirty {
  /** Replan every shard: nodes changed, a resync, a forced run, or the first plan. */
  all: boolean;
  schools: Set<string>;
  nvrs: Set<string>;
  secrets: Set<string>;
}

const freshDirty = (all: boolean): Dirty => ({ all, schools: new Set(), nvrs: new Set(), secrets: new Set() });

/** Ready, plus Stalled while a bad spec keeps the object out of the plan (a terminal state until the spec changes). */
function readiness(existing: Condition[] | undefined, ready: ConditionInput, stalled: boolean, now: string, generation: number | undefined): Condition[] {
  const withReady = setCondition(existing, ready, now, generation);
  return stalled
    ? setCondition(withReady, { ...ready, type: 'Stalled', status: 'True' }, now, generation)
    : withReady.filter((c) => c.type !== 'Stalled');
}

/** A fingerprint of a shard's inputs: the same objects in the same places render the same config. */
const shardFingerprint = (shard: ShardPlan, secretVersion: (nvr: Nvr) => string) =>
  [
    shard.node.metadata.generation,
    ...shard.members.map((m) => `${nvrKey(m.nvr)}@${m.nvr.metadata.generation}:${onvifVersion(m.nvr)}#${secretVersion(m.nvr)}`),
  ].join('|');

/** What of an Nvr's status feeds the render: the ONVIF-discovered cameras. */
const onvifVersion = (nvr: Nvr) => (nvr.spec.onvifSync ? contentHash(JSON.stringify(nvr.status?.discoveredCameras ?? [])) : '-');

export class FleetController {
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly objects: CustomObjectsApi;
  private readonly nodes: ResourceInformer<MediaNode & KubernetesObject>;
  private readonly schools: ResourceInformer<School & KubernetesObject>;
  private readonly nvrs: ResourceInformer<Nvr & KubernetesObject>;
  private readonly secrets: ResourceInformer<V1Secret>;
  private readonly shardQueue: WorkQueue;
  private readonly statusQueue: WorkQueue;
  private plan: FleetPlan | undefined;
  private readonly fingerprints = new Map<string, string>();
  private readonly appliedHashes = new Map<string, string>();
  private readonly workloadHashes = new Map<string, string>();
  private readonly confKeys = new Map<string, string>();
  /** Objects left out of the plan, with the condition that says why. */
  private stalled = new Map<string, ConditionInput>();
  private resyncTimer: NodeJS.Timeout | undefined;
  private leading = false;
  private readonly reachability: ReachabilityReconciler | undefined;
  private probeTokenValue: string | undefined;
  private readonly tunnel: TunnelShell;
  private readonly tunnelKeys = new Map<string, string>();
  private tunnelTimer: NodeJS.Timeout | undefined;

  private constructor(
    kc: KubeConfig,
    private readonly config: ControllerConfig,
    private readonly log: Logger,
    private readonly metrics: OperatorMetrics,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.objects = kc.makeApiClient(CustomObjectsApi);
    const ns = config.fleetNamespace;
    const path = (kind: Kind) =>
      KINDS[kind].scope === 'Cluster' ? `/apis/${GROUP}/${VERSION}/${KINDS[kind].plural}` : `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${KINDS[kind].plural}`;
    const listOf = <T>(kind: Kind) =>
      paginated<T & KubernetesObject>(
        (page) =>
          (KINDS[kind].scope === 'Cluster'
            ? this.objects.listClusterCustomObject({ group: GROUP, version: VERSION, plural: KINDS[kind].plural, ...page })
            : this.objects.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: KINDS[kind].plural, ...page })) as Promise<
            KubernetesListObject<T & KubernetesObject>
          >,
      );
    const onChange = (kind: Kind) => (type: ChangeType, object: KubernetesObject) => this.onChange(kind, type, object);
    this.nodes = new ResourceInformer(kc, path('MediaNode'), listOf<MediaNode>('MediaNode'), onChange('MediaNode'), log);
    this.schools = new ResourceInformer(kc, path('School'), listOf<School>('School'), onChange('School'), log);
    this.nvrs = new ResourceInformer(kc, path('Nvr'), listOf<Nvr>('Nvr'), (type, nvr) => {
      this.onChange('Nvr', type, nvr);
      this.reachability?.onChange(type, nvr);
    }, log);
    this.secrets = new ResourceInformer<V1Secret>(
      kc,
      `/api/v1/namespaces/${ns}/secrets`,
      paginated((page) => this.core.listNamespacedSecret({ namespace: ns, ...page })),
      (_, secret) => {
        this.markDirty('Secret', secret);
        if (this.leading) this.shardQueue.add(PLAN);
      },
      log,
    );
    const onError = (queue: string) => (key: string, error: unknown, retryInMs: number | undefined) => {
      const reason = error instanceof TerminalError ? error.reason : error instanceof ApiException ? `ApiError${error.code}` : 'Error';
      this.metrics.errors.inc({ reason });
      if (key.startsWith('node/')) this.metrics.shardStalled.set({ node: key.slice('node/'.length) }, 1);
      this.log.warn('reconcile failed', { queue, key, reason, retryInMs, error: error instanceof Error ? error.message : String(error) });
    };
    this.shardQueue = new WorkQueue((key) => this.timed('shard', () => (key === PLAN ? this.replan() : this.reconcileShard(key))), {
      concurrency: 4,
      baseDelayMs: 200,
      maxDelayMs: 60_000,
      onError: onError('shard'),
    });
    // Statuses yield to shards: the ConfigMaps are what media nodes wait for, a status can trail by seconds.
    this.statusQueue = new WorkQueue((key) => this.timed('status', async () => {
      await this.shardQueue.idle();
      await this.writeStatus(key);
    }), {
      concurrency: 4,
      baseDelayMs: 500,
      maxDelayMs: 60_000,
      onError: onError('status'),
    });
    this.tunnel = TunnelShell.create({
      core: this.core,
      namespace: config.mediaNamespace,
      apply: (m) => this.apply(m),
      log,
      ...(config.tunnelPoll?.urlFor ? { urlFor: config.tunnelPoll.urlFor } : {}),
    });
    if (config.probe) {
      const urlFor = config.probe.urlFor ?? ((node: string) => `http://${configMapName(node)}.${config.mediaNamespace}.svc:${PROBE_PORT}`);
      this.reachability = ReachabilityReconciler.create({
        namespace: ns,
        nvr: (name) => this.nvrs.get(name, ns),
        nvrs: () => this.nvrs.list(),
        plan: () => this.plan,
        endpoints: { urlFor, token: () => this.probeToken() },
        patchStatus: (name, status, resourceVersion) => this.patchStatus('Nvr', name, status, resourceVersion),
        log,
        intervalMs: config.probe.intervalMs,
      });
    }
  }

  static create(deps: { kc: KubeConfig; config: ControllerConfig; log: Logger; metrics: OperatorMetrics }): FleetController {
    return new FleetController(deps.kc, deps.config, deps.log, deps.metrics);
  }

  /** Starts the informers; the caches fill whether or not this replica leads. */
  async start(): Promise<void> {
    await Promise.all([this.nodes.start(), this.schools.start(), this.nvrs.start(), this.secrets.start()]);
  }

  /** Begins writing: called when this replica becomes the leader. */
  lead(): void {
    this.leading = true;
    this.shardQueue.add(PLAN);
    this.scheduleResync();
    this.reachability?.lead();
    this.scheduleTunnelPoll();
  }

  /** Handshakes reach School status by polling each tunnel node's sidecar; a changed one requeues its school. */
  private scheduleTunnelPoll(): void {
    const poll = this.config.tunnelPoll;
    if (!poll || !this.leading) return;
    this.tunnelTimer = setTimeout(() => {
      const nodes = [...(this.plan?.shards.values() ?? [])].filter((s) => s.tunnel && s.tunnel.peers.length > 0).map((s) => s.node.metadata.name);
      void this.tunnel
        .poll(nodes)
        // Every tunnel school, not only the changed ones: a handshake that stops changing turns stale with time.
        .then(() => this.plan?.shards.forEach((s) => s.tunnel?.peers.forEach((p) => this.statusQueue.add(`School/${p.school}`))))
        .finally(() => this.scheduleTunnelPoll());
    }, poll.intervalMs);
    this.tunnelTimer.unref?.();
  }

  isSynced(): boolean {
    return [this.nodes, this.schools, this.nvrs, this.secrets].every((i) => i.isSynced());
  }

  async stop(): Promise<void> {
    this.leading = false;
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    if (this.tunnelTimer) clearTimeout(this.tunnelTimer);
    this.shardQueue.stop();
    this.statusQueue.stop();
    this.reachability?.stop();
    await Promise.all([this.nodes.stop(), this.schools.stop(), this.nvrs.stop(), this.secrets.stop()]);
  }

  /** Resolves once every queued reconcile has run (for tests and benchmarks). */
  async settled(): Promise<void> {
    await this.shardQueue.idle();
    await this.statusQueue.idle();
    await this.reachability?.idle();
  }

  queueDepth(): number {
    return this.shardQueue.depth() + this.statusQueue.depth();
  }

  private scheduleResync(): void {
    const jittered = this.config.resyncMs * (0.9 + Math.random() * 0.2);
    this.resyncTimer = setTimeout(() => {
      this.fingerprints.clear();
      this.statusInputs.clear();
      this.dirty.all = true;
      this.shardQueue.add(PLAN);
      this.scheduleResync();
    }, jittered);
    this.resyncTimer.unref();
  }

  private async timed(queue: string, work: () => Promise<void>): Promise<void> {
    const end = this.metrics.reconcileDuration.startTimer({ queue });
    try {
      await work();
    } finally {
      end();
      this.metrics.queueDepth.set({ queue: 'shard' }, this.shardQueue.depth());
      this.metrics.queueDepth.set({ queue: 'status' }, this.statusQueue.depth());
    }
  }

  private onChange(kind: Kind, type: ChangeType, object: KubernetesObject): void {
    // Status-only updates are mostly the operator's own writes; of an Nvr's status only ONVIF results feed the render.
    const key = `${kind}/${object.metadata?.name}`;
    const version = `${object.metadata?.generation ?? 0}:${kind === 'Nvr' ? onvifVersion(object as unknown as Nvr) : ''}`;
    if (type === 'update' && this.seenVersions.get(key) === version && !this.requestedAtChanged(kind, object)) return;
    if (type === 'delete') this.seenVersions.delete(key);
    else this.seenVersions.set(key, version);
    this.markDirty(kind, object);
    if (this.leading) this.shardQueue.add(PLAN);
  }

  private readonly seenVersions = new Map<string, string>();
  private readonly requestedAt = new Map<string, string | undefined>();

  /** A `posbon.io/requested-at` annotation forces a run even without a spec change. */
  private requestedAtChanged(kind: Kind, object: KubernetesObject): boolean {
    const key = `${kind}/${object.metadata?.name}`;
    const value = object.metadata?.annotations?.['posbon.io/requested-at'];
    const changed = this.requestedAt.get(key) !== value;
    this.requestedAt.set(key, value);
    if (changed) {
      this.fingerprints.clear();
      this.dirty.all = true;
    }
    return changed;
  }

  /** The fleet as the plan may use it: objects with a spec the operator can act on. */
  private admissibleFleet(): Fleet {
    const stalled = new Map<string, ConditionInput>();
    const schools = this.schools.list().filter((s) => {
      if (isValidTimezone(s.spec.timezone)) return true;
      stalled.set(`School/${s.metadata.name}`, { type: 'Ready', status: 'False', reason: 'InvalidTimezone', message: `spec.timezone ${s.spec.timezone} is not an IANA time zone` });
      return false;
    });
    const nvrs = this.nvrs.list().filter((n) => {
      if (this.hasCredentials(n)) return true;
      stalled.set(`Nvr/${n.metadata.name}`, {
        type: 'Ready',
        status: 'False',
        reason: 'CredentialsMissing',
        message: `Secret ${n.spec.credentialsSecretRef.name} with keys username and password not found in ${this.config.fleetNamespace}`,
      });
      return false;
    });
    this.stalled = stalled;
    return { nodes: [...this.nodes.list()], schools, nvrs };
  }

  private secretVersion = (nvr: Nvr): string => this.secrets.get(nvr.spec.credentialsSecretRef.name, this.config.fleetNamespace)?.metadata?.resourceVersion ?? '-';

  private hasCredentials(nvr: Nvr): boolean {
    const data = this.secrets.get(nvr.spec.credentialsSecretRef.name, this.config.fleetNamespace)?.data;
    return Boolean(data?.username && data.password);
  }

  private credentials(nvr: Nvr): NvrCredentials | undefined {
    const secret = this.secrets.get(nvr.spec.credentialsSecretRef.name, this.config.fleetNamespace);
    const username = secret?.data?.username;
    const password = secret?.data?.password;
    if (!username || !password) return undefined;
    return { username: Buffer.from(username, 'base64').toString('utf8'), password: Buffer.from(password, 'base64').toString('utf8') };
  }

  /** What changed since the last plan: a change dirties the old and the new shard of what it touches, nothing else. */
  private dirty = freshDirty(true);

  private markDirty(kind: Kind | 'Secret', object: KubernetesObject): void {
    const name = object.metadata?.name ?? '';
    if (kind === 'MediaNode') this.dirty.all = true;
    else if (kind === 'School') this.dirty.schools.add(name);
    else if (kind === 'Secret') this.dirty.secrets.add(name);
    else {
      this.dirty.nvrs.add(name);
      this.dirty.schools.add((object as unknown as Nvr).spec.schoolRef);
    }
  }

  /** Recomputes the assignment and queues the shards and statuses that the changes since the last plan touch. */
  private async replan(): Promise<void> {
    // Only the leader writes, and only from complete caches: a plan of a half-listed fleet would empty shards.
    if (!this.leading || !this.isSynced()) return;
    const dirty = this.dirty;
    this.dirty = freshDirty(false);
    const plan = planFleet(this.admissibleFleet(), this.config.assign);
    const previous = this.plan;
    this.plan = plan;
    if (dirty.all || !previous) {
      this.queueEveryShard(plan, previous);
      if (!previous) await this.removeOrphanedShards(plan);
      this.queueStatuses(plan, previous, undefined);
      return;
    }
    if (dirty.secrets.size > 0) {
      for (const nvr of this.nvrs.list()) {
        if (!dirty.secrets.has(nvr.spec.credentialsSecretRef.name)) continue;
        dirty.nvrs.add(nvr.metadata.name);
        dirty.schools.add(nvr.spec.schoolRef);
      }
    }
    // Bounded load can move schools nobody edited; their old and new shards are dirty too.
    const touched = new Set<string>();
    for (const [school, assignment] of plan.assignments) {
      const before = previous.assignments.get(school)?.node;
      if (before === assignment.node && !dirty.schools.has(school)) continue;
      dirty.schools.add(school);
      if (before) touched.add(before);
      if (assignment.node) touched.add(assignment.node);
    }
    for (const school of dirty.schools) {
      const before = previous.assignments.get(school)?.node;
      if (before && !plan.assignments.has(school)) touched.add(before);
    }
    for (const node of touched) {
      this.shardQueue.add(`node/${node}`);
      this.recordShardMetrics(node, plan.shards.get(node));
    }
    this.queueStatuses(plan, previous, dirty);
  }

  private queueEveryShard(plan: FleetPlan, previous: FleetPlan | undefined): void {
    for (const [name, shard] of plan.shards) {
      const fingerprint = shardFingerprint(shard, this.secretVersion);
      if (this.fingerprints.get(name) !== fingerprint) {
        this.fingerprints.set(name, fingerprint);
        this.shardQueue.add(`node/${name}`);
      }
      this.recordShardMetrics(name, shard);
    }
    for (const name of previous?.shards.keys() ?? []) {
      if (plan.shards.has(name)) continue;
      this.fingerprints.delete(name);
      this.recordShardMetrics(name, undefined);
      this.shardQueue.add(`node/${name}`);
    }
  }

  private recordShardMetrics(node: string, shard: ShardPlan | undefined): void {
    if (!shard) {
      this.metrics.shardCameras.remove({ node });
      this.metrics.shardSchools.remove({ node });
      return;
    }
    this.metrics.shardCameras.set({ node }, shard.cameraCount);
    this.metrics.shardSchools.set({ node }, shard.schools.length);
  }

  /** Queues the statuses whose inputs changed: all of them after a full plan, else those of dirty objects. */
  private queueStatuses(plan: FleetPlan, previous: FleetPlan | undefined, dirty: Dirty | undefined): void {
    for (const school of this.schools.list()) {
      const name = school.metadata.name;
      if (dirty && !dirty.schools.has(name)) continue;
      const a = plan.assignments.get(name);
      this.queueStatus(`School/${name}`, `${school.metadata.generation}|${a?.node}|${a?.reason}|${plan.camerasBySchool.get(name)}|${this.stalled.get(`School/${name}`)?.reason}|${schoolPlacement(school, plan).tunnel?.address}`);
    }
    for (const nvr of this.nvrs.list()) {
      if (dirty && !dirty.nvrs.has(nvr.metadata.name) && !dirty.schools.has(nvr.spec.schoolRef)) continue;
      const key = nvrKey(nvr);
      const node = plan.assignments.get(nvr.spec.schoolRef)?.node;
      if (previous && previous.assignments.get(nvr.spec.schoolRef)?.node !== node) this.reachability?.reprobe([nvr.metadata.name]);
      this.queueStatus(`Nvr/${nvr.metadata.name}`, `${nvr.metadata.generation}|${node}|${plan.camerasByNvr.get(key)}|${plan.orphanNvrs.has(key)}|${this.stalled.get(`Nvr/${nvr.metadata.name}`)?.reason}|${node ? plan.shards.get(node)?.tunnel?.problems.find((p) => p.resource === `Nvr/${key}`)?.reason : ''}`);
    }
  }

  private readonly statusInputs = new Map<string, string>();

  private queueStatus(key: string, inputs: string): void {
    if (this.statusInputs.get(key) === inputs) return;
    this.statusInputs.set(key, inputs);
    this.statusQueue.add(key);
  }

  /** ConfigMaps of nodes deleted while no operator ran. */
  private async removeOrphanedShards(plan: FleetPlan): Promise<void> {
    const list = await this.core.listNamespacedConfigMap({ namespace: this.config.mediaNamespace, labelSelector: `${NODE_LABEL}` });
    for (const cm of list.items) {
      const node = cm.metadata?.labels?.[NODE_LABEL];
      if (node && !plan.shards.has(node)) this.shardQueue.add(`node/${node}`);
    }
  }

  private async reconcileShard(key: string): Promise<void> {
    const name = key.slice('node/'.length);
    const shard = this.plan?.shards.get(name);
    if (!shard) return this.deleteShard(name);
    const node = shard.node;
    const result = renderMediaMtxConfig(node, shard.members, (nvr) => this.credentials(nvr), this.config.render);
    const problems = validateMediaMtxConfig(result.config);
    if (problems.length > 0) {
      this.recordNodeOutcome(node, shard, { type: 'Ready', status: 'False', reason: 'InvalidConfig', message: problems.slice(0, 5).join('; ') }, undefined, 'Warning');
      throw new TerminalError('InvalidConfig', problems.join('; '));
    }
    // Peers and routes first: a new tunnel path must find its route when MediaMTX loads it.
    // A node with the sidecar always has its (possibly empty) peers, so the sidecar can start before any tunnel school.
    const tunnel = shard.tunnel ?? (this.config.workload.tunnelImage ? idleNodeTunnel(node) : undefined);
    if (tunnel) this.tunnelKeys.set(name, await this.tunnel.applyNode(name, tunnel));
    const key32 = await this.confKey(name);
    const sealed = sealMediaMtxConfig(result.yaml, key32);
    if (sealed.length > this.config.maxConfigBytes) {
      const message = `the sealed config of ${result.cameraCount} cameras is ${sealed.length} bytes, over the ${this.config.maxConfigBytes}-byte limit; the previous config stays in place`;
      this.recordNodeOutcome(node, shard, { type: 'Ready', status: 'False', reason: 'ShardTooLarge', message }, undefined, 'Warning');
      throw new TerminalError('ShardTooLarge', message);
    }
    const hash = contentHash(sealed);
    if (this.appliedHashes.get(name) !== hash) {
      await this.apply({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: configMapName(name),
          namespace: this.config.mediaNamespace,
          labels: { ...MANAGED_LABELS, [NODE_LABEL]: name },
          annotations: { [HASH_ANNOTATION]: hash },
        },
        data: { [CONFIG_FILE]: sealed },
      });
      this.appliedHashes.set(name, hash);
      this.log.info('config applied', { resource: `MediaNode/${name}`, hash, cameras: result.cameraCount, schools: shard.schools.length });
      this.pendingEvents.set(name, [...(this.pendingEvents.get(name) ?? []), { type: 'Normal', reason: 'ConfigApplied', message: `config ${hash} with ${result.cameraCount} cameras of ${shard.schools.length} schools` }]);
    }
    if (this.config.probe) await this.applyProbeInputs(name, shard);
    if (this.config.applyWorkloads) await this.applyWorkload(node);
    const overCapacity = result.cameraCount > node.spec.maxCameras;
    this.recordNodeOutcome(
      node,
      shard,
      overCapacity
        ? { type: 'Ready', status: 'False', reason: 'OverCapacity', message: `${result.cameraCount} cameras assigned, over maxCameras ${node.spec.maxCameras}; all are published` }
        : { type: 'Ready', status: 'True', reason: 'ConfigApplied', message: `${result.cameraCount} cameras of ${shard.schools.length} schools` },
      hash,
    );
    this.metrics.shardStalled.set({ node: name }, 0);
  }

  private async apply(object: Manifest): Promise<void> {
    const ns = object.metadata.namespace!;
    const options = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
    const common = { name: object.metadata.name, namespace: ns, body: object, fieldManager: FIELD_MANAGER, force: true };
    if (object.kind === 'ConfigMap') await this.core.patchNamespacedConfigMap(common, options);
    else if (object.kind === 'Service') await this.core.patchNamespacedService(common, options);
    else if (object.kind === 'Deployment') await this.apps.patchNamespacedDeployment(common, options);
    else if (object.kind === 'Secret') await this.core.patchNamespacedSecret(common, options);
    else if (object.kind === 'Certificate') {
      await this.objects.patchNamespacedCustomObject({ ...common, group: 'cert-manager.io', version: 'v1', plural: 'certificates' }, options);
    } else throw new Error(`cannot apply ${String(object.apiVersion)} ${object.kind}`);
  }

  private async applyWorkload(node: MediaNode): Promise<void> {
    const manifests = renderWorkload(node, { ...this.config.workload, namespace: this.config.mediaNamespace });
    const hash = contentHash(JSON.stringify(manifests));
    if (this.workloadHashes.get(node.metadata.name) === hash) return;
    for (const manifest of manifests) await this.apply(manifest as Manifest);
    this.workloadHashes.set(node.metadata.name, hash);
  }

  private readonly probeHashes = new Map<string, string>();

  /** The sidecar's allowlist (the shard's NVRs, their public host and ports) and the credentials it may use. */
  private async applyProbeInputs(node: string, shard: ShardPlan): Promise<void> {
    const ns = this.config.fleetNamespace;
    const allowlist = renderProbeAllowlist(
      node,
      // Members only: a tunnel NVR is here only when the tunnel plan routes its LAN address to its own school alone.
      shard.members.map(({ nvr }) => {
        const endpoint = nvrEndpoint(nvr);
        return {
          namespace: ns,
          name: nvr.metadata.name,
          publicHost: endpoint.host,
          publicRtspPort: endpoint.rtspPort,
          ...(endpoint.onvifPort !== undefined ? { publicOnvifPort: endpoint.onvifPort } : {}),
          ...(endpoint.via === 'public' && nvr.spec.publicHttpPort !== undefined ? { publicHttpPort: nvr.spec.publicHttpPort } : {}),
          ...(endpoint.via === 'tunnel' ? { tunnel: true } : {}),
          credentialsSecret: nvr.spec.credentialsSecretRef.name,
        };
      }),
      this.nodes.list().flatMap((n) => n.spec.egressIPs),
    );
    const credentials: Record<string, string> = {};
    for (const { nvr } of shard.members) {
      const secret = this.secrets.get(nvr.spec.credentialsSecretRef.name, ns);
      for (const field of ['username', 'password'] as const) {
        const value = secret?.data?.[field];
        if (value) credentials[`${ns}.${nvr.spec.credentialsSecretRef.name}.${field}`] = value;
      }
    }
    const sorted = Object.fromEntries(Object.keys(credentials).sort().map((k) => [k, credentials[k]!]));
    const hash = contentHash(allowlist + JSON.stringify(sorted));
    if (this.probeHashes.get(node) === hash) return;
    const labels = { ...MANAGED_LABELS, [NODE_LABEL]: node };
    await this.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: probeConfigMapName(node), namespace: this.config.mediaNamespace, labels },
      data: { 'allowlist.json': allowlist },
    });
    await this.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: probeCredentialsSecretName(node), namespace: this.config.mediaNamespace, labels },
      type: 'Opaque',
      data: sorted,
    });
    this.probeHashes.set(node, hash);
  }

  /** The token sidecars accept, created on first use and shared by every node. */
  private async probeToken(): Promise<string> {
    if (this.probeTokenValue) return this.probeTokenValue;
    try {
      const secret = await this.core.readNamespacedSecret({ name: PROBE_TOKEN_SECRET, namespace: this.config.mediaNamespace });
      this.probeTokenValue = Buffer.from(secret.data?.token ?? '', 'base64').toString('utf8');
    } catch (error) {
      if (!(error instanceof ApiException && error.code === 404)) throw error;
      const token = randomBytes(32).toString('base64url');
      // The ticket key lets the API admit a proposed NVR for one probe; sidecars read both from this Secret.
      const ticketKey = randomBytes(32).toString('base64');
      await this.core.createNamespacedSecret({
        namespace: this.config.mediaNamespace,
        body: {
          metadata: { name: PROBE_TOKEN_SECRET, labels: { ...MANAGED_LABELS } },
          type: 'Opaque',
          data: { token: Buffer.from(token).toString('base64'), 'ticket-key': Buffer.from(ticketKey).toString('base64') },
        },
      });
      this.probeTokenValue = token;
    }
    return this.probeTokenValue;
  }

  /** The node's MTX_CONFKEY, created on first use; it never leaves the cluster's Secrets. */
  private confKeysLoaded = false;

  private async confKey(node: string): Promise<string> {
    if (!this.confKeysLoaded) {
      // One LIST instead of a GET per node on a cold start.
      const list = await this.core.listNamespacedSecret({ namespace: this.config.mediaNamespace, labelSelector: NODE_LABEL });
      for (const secret of list.items) {
        const owner = secret.metadata?.labels?.[NODE_LABEL];
        const key = secret.data?.key;
        if (owner && key && secret.metadata?.name === confKeySecretName(owner)) this.confKeys.set(owner, Buffer.from(key, 'base64').toString('utf8'));
      }
      this.confKeysLoaded = true;
    }
    const cached = this.confKeys.get(node);
    if (cached) return cached;
    const name = confKeySecretName(node);
    let key: string | undefined;
    try {
      const secret = await this.core.readNamespacedSecret({ name, namespace: this.config.mediaNamespace });
      key = secret.data?.key ? Buffer.from(secret.data.key, 'base64').toString('utf8') : undefined;
    } catch (error) {
      if (!(error instanceof ApiException && error.code === 404)) throw error;
    }
    if (!key) {
      key = randomBytes(24).toString('base64url');
      await this.core.createNamespacedSecret({
        namespace: this.config.mediaNamespace,
        body: {
          metadata: { name, labels: { ...MANAGED_LABELS, [NODE_LABEL]: node } },
          type: 'Opaque',
          data: { key: Buffer.from(key).toString('base64') },
        },
      });
    }
    this.confKeys.set(node, key);
    return key;
  }

  private async deleteShard(node: string): Promise<void> {
    const ns = this.config.mediaNamespace;
    const ignoreMissing = (error: unknown) => {
      if (!(error instanceof ApiException && error.code === 404)) throw error;
    };
    await this.core.deleteNamespacedConfigMap({ name: configMapName(node), namespace: ns }).catch(ignoreMissing);
    await this.apps.deleteNamespacedDeployment({ name: configMapName(node), namespace: ns }).catch(ignoreMissing);
    await this.core.deleteNamespacedService({ name: configMapName(node), namespace: ns }).catch(ignoreMissing);
    await this.core.deleteNamespacedSecret({ name: confKeySecretName(node), namespace: ns }).catch(ignoreMissing);
    await this.core.deleteNamespacedConfigMap({ name: probeConfigMapName(node), namespace: ns }).catch(ignoreMissing);
    await this.core.deleteNamespacedSecret({ name: probeCredentialsSecretName(node), namespace: ns }).catch(ignoreMissing);
    // cert-manager leaves a Certificate's Secret behind; both go with the node (404 too when cert-manager is absent).
    await this.objects
      .deleteNamespacedCustomObject({ group: 'cert-manager.io', version: 'v1', plural: 'certificates', namespace: ns, name: certificateName(node) })
      .catch(ignoreMissing);
    await this.core.deleteNamespacedSecret({ name: certificateName(node), namespace: ns }).catch(ignoreMissing);
    await this.tunnel.deleteNode(node);
    this.tunnelKeys.delete(node);
    this.probeHashes.delete(node);
    this.nodeOutcomes.delete(node);
    this.pendingEvents.delete(node);
    this.appliedHashes.delete(node);
    this.workloadHashes.delete(node);
    this.confKeys.delete(node);
    this.metrics.mediaNodeReady.remove({ node });
    this.metrics.shardStalled.remove({ node });
    this.log.info('shard removed', { resource: `MediaNode/${node}` });
  }

  /** What the last reconcile of each node found, written to its status by the status queue. */
  private readonly nodeOutcomes = new Map<string, { node: MediaNode; shard: ShardPlan; ready: ConditionInput; hash?: string }>();
  private readonly pendingEvents = new Map<string, Array<{ type: 'Normal' | 'Warning'; reason: string; message: string }>>();

  /** The node's status trails its ConfigMap in the status queue, so a cold start writes every shard first. */
  private recordNodeOutcome(node: MediaNode, shard: ShardPlan, ready: ConditionInput, hash?: string, eventType?: 'Warning'): void {
    const name = node.metadata.name;
    this.metrics.mediaNodeReady.set({ node: name }, ready.status === 'True' ? 1 : 0);
    this.nodeOutcomes.set(name, { node, shard, ready, ...(hash ? { hash } : {}) });
    if (eventType) this.pendingEvents.set(name, [...(this.pendingEvents.get(name) ?? []), { type: eventType, reason: ready.reason, message: ready.message }]);
    this.statusQueue.add(`MediaNode/${name}`);
  }

  private async writeNodeStatus(name: string): Promise<void> {
    const outcome = this.nodeOutcomes.get(name);
    const current = this.nodes.get(name);
    if (!outcome || !current) return;
    const { shard, ready, hash } = outcome;
    const now = new Date().toISOString();
    const status = {
      ...(current.status ?? {}),
      conditions: setCondition(current.status?.conditions, ready, now, current.metadata.generation),
      schoolCount: shard.schools.length,
      cameraCount: shard.cameraCount,
      configMapName: configMapName(name),
      ...(hash ? { configHash: hash } : {}),
      ...(shard.tunnel && this.tunnelKeys.has(name)
        ? {
            tunnel: {
              publicKey: this.tunnelKeys.get(name)!,
              endpoint: shard.tunnel.endpoint,
              address: shard.tunnel.address.split('/')[0]!,
              peers: shard.tunnel.peers.length,
              stalePeers: shard.tunnel.peers.filter((p) => tunnelCondition(this.tunnel.handshake(p.school)?.latestHandshake, new Date()).status !== 'True').length,
            },
          }
        : {}),
      ...(ready.status === 'True' && current.metadata.generation !== undefined ? { observedGeneration: current.metadata.generation } : {}),
    };
    if (!sameStatus(status, current.status)) await this.patchStatus('MediaNode', name, status);
    const events = this.pendingEvents.get(name) ?? [];
    this.pendingEvents.delete(name);
    for (const e of events) await this.event('MediaNode', name, e.type, e.reason, e.message);
  }

  private async writeStatus(key: string): Promise<void> {
    const plan = this.plan;
    if (!plan) return;
    const [kind, name] = key.split('/') as ['School' | 'Nvr' | 'MediaNode', string];
    if (kind === 'MediaNode') return this.writeNodeStatus(name);
    const now = new Date().toISOString();
    if (kind === 'School') {
      const school = this.schools.get(name, this.config.fleetNamespace);
      if (!school) return;
      const placement = schoolPlacement(school, plan);
      const assignment = plan.assignments.get(name);
      const ready: ConditionInput = this.stalled.get(key) ??
        (placement.mediaNode
          ? {
              type: 'Ready',
              status: 'True',
              reason: assignment?.reason ?? 'Assigned',
              message: `served by ${placement.mediaNode}; the router must allow ${placement.allowlistIPs.join(', ')}`,
            }
          : { type: 'Ready', status: 'False', reason: 'NoMediaNode', message: 'no active media node can serve the school' });
      const tunnel = this.schoolTunnelStatus(name, placement.tunnel);
      const withTunnel = tunnel ? setCondition(school.status?.conditions, tunnel.condition, now, school.metadata.generation) : school.status?.conditions?.filter((c) => c.type !== 'TunnelConnected');
      const status = {
        ...placement,
        ...(tunnel ? { tunnel: tunnel.status } : {}),
        conditions: readiness(withTunnel, ready, this.stalled.has(key), now, school.metadata.generation),
        ...(ready.status === 'True' ? { observedGeneration: school.metadata.generation } : { observedGeneration: school.status?.observedGeneration }),
      };
      if (sameStatus(status, school.status)) return;
      await this.patchStatus('School', name, status);
      await this.announce('School', name, school.status?.conditions, ready, school.status?.mediaNode !== placement.mediaNode ? placement.mediaNode : undefined);
      return;
    }
    const nvr = this.nvrs.get(name, this.config.fleetNamespace);
    if (!nvr) return;
    const orphan = plan.orphanNvrs.has(nvrKey(nvr));
    const node = plan.assignments.get(nvr.spec.schoolRef)?.node;
    const tunnelProblem = node ? plan.shards.get(node)?.tunnel?.problems.find((p) => p.resource === `Nvr/${nvrKey(nvr)}`) : undefined;
    const ready: ConditionInput = this.stalled.get(key) ??
      (orphan
        ? { type: 'Ready', status: 'False', reason: 'SchoolNotFound', message: `School ${nvr.spec.schoolRef} does not exist in ${this.config.fleetNamespace}` }
        : tunnelProblem
          ? { type: 'Ready', status: 'False', reason: tunnelProblem.reason, message: `not published: ${tunnelProblem.message}` }
          : node
          ? { type: 'Ready', status: 'True', reason: 'Published', message: `published by ${node}` }
          : { type: 'Ready', status: 'False', reason: 'NoMediaNode', message: 'the school has no media node' });
    const status = {
      ...(nvr.status ?? {}),
      ...(node ? { mediaNode: node } : {}),
      cameraCount: node ? (plan.camerasByNvr.get(nvrKey(nvr)) ?? 0) : 0,
      conditions: readiness(nvr.status?.conditions, ready, this.stalled.has(key), now, nvr.metadata.generation),
      ...(ready.status === 'True' ? { observedGeneration: nvr.metadata.generation } : {}),
    };
    if (sameStatus(status, nvr.status)) return;
    await this.patchStatus('Nvr', name, status, nvr.metadata.resourceVersion);
    await this.announce('Nvr', name, nvr.status?.conditions, ready, undefined);
  }

  /** A tunnel school's status: where its gateway connects, the node's key and the latest handshake the node saw. */
  private schoolTunnelStatus(school: string, placed: { mediaNode: string; address: string; endpoint: string } | undefined) {
    const nodeKey = placed ? this.tunnelKeys.get(placed.mediaNode) : undefined;
    if (!placed || !nodeKey) return undefined;
    const seen = this.tunnel.handshake(school);
    const latest = seen?.node === placed.mediaNode ? seen.latestHandshake : undefined;
    return {
      status: { ...placed, nodePublicKey: nodeKey, ...(latest ? { lastHandshake: latest.toISOString() } : {}) },
      condition: tunnelCondition(latest, new Date()),
    };
  }

  /** An Event when readiness flips or a school moves to another node. */
  private async announce(kind: Kind, name: string, before: ConditionInput[] | undefined, ready: ConditionInput, movedTo: string | undefined): Promise<void> {
    const previous = before?.find((c) => c.type === 'Ready');
    if (movedTo) await this.event(kind, name, 'Normal', 'Assigned', `now served by media node ${movedTo}`);
    if (previous?.reason !== ready.reason || previous?.status !== ready.status) {
      await this.event(kind, name, ready.status === 'True' ? 'Normal' : 'Warning', ready.reason, ready.message);
    }
  }

  /** Records an Event on a fleet object; a failure to record never fails the reconcile. */
  private async event(kind: Kind, name: string, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    // The API server keeps events of cluster-scoped objects in the default namespace only.
    const namespace = KINDS[kind].scope === 'Cluster' ? 'default' : this.config.fleetNamespace;
    const now = new Date();
    await this.core
      .createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${name}.`, namespace },
          involvedObject: { apiVersion: `${GROUP}/${VERSION}`, kind, name, ...(KINDS[kind].scope === 'Cluster' ? {} : { namespace }) },
          type,
          reason,
          message,
          source: { component: FIELD_MANAGER },
          reportingComponent: FIELD_MANAGER,
          reportingInstance: FIELD_MANAGER,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      })
      .catch((error: unknown) => this.log.warn('event not recorded', { resource: `${kind}/${name}`, reason, error: String(error) }));
  }

  /** A merge patch of status; with a resourceVersion it fails with 409 instead of overwriting a newer status. */
  private async patchStatus(kind: Kind, name: string, status: unknown, resourceVersion?: string): Promise<void> {
    const def = KINDS[kind];
    const options = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const body = { ...(resourceVersion ? { metadata: { resourceVersion } } : {}), status };
    if (def.scope === 'Cluster') {
      await this.objects.patchClusterCustomObjectStatus({ group: GROUP, version: VERSION, plural: def.plural, name, body }, options);
    } else {
      await this.objects.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, namespace: this.config.fleetNamespace, plural: def.plural, name, body },
        options,
      );
    }
  }
}
