// The fleet controller: informers in, one plan of the whole fleet, shards keyed by media node, statuses out.
// Each reconciler lives in its own module; this one wires them and decides what a change makes dirty. It runs past
// 400 lines because the order of a leader's work (lists, election, preparing, the first plan, statuses after
// configs) is one sequence, read best in one place.
import { ApiException, type KubeConfig, type KubernetesObject, type V1Secret } from '@kubernetes/client-node';
import { GROUP, KINDS, VERSION, type FaceIdDevice, type MediaNode, type Nvr, type School } from '../../crds/index.js';
import { ResourceInformer, customObjectPath, listCustomObjects, paginated, plainListPage, type ChangeType } from '../../lib/kube/index.js';
import { isValidTimezone } from '../core/admission.js';
import { contentHash } from '../core/mediamtx.js';
import { prepareRankings } from '../core/assign.js';
import { publishedCameras } from '../core/fleet.js';
import { nvrKey, planFleet, schoolPlacement, type FleetPlan } from '../core/plan.js';
import { replanNvrs } from '../core/replan.js';
import type { Logger } from '../../lib/log/logger.js';
import { NODE_LABEL, configMapName, PROBE_PORT } from '../workload.js';
import { ClusterWriter, type Manifest } from './cluster-writer.js';
import type { ControllerConfig } from './config.js';
import { CredentialSecretCollector } from './credential-gc.js';
import { DirtyTracker, touchedShards, type Dirty, type DirtyKind } from './dirty.js';
import { recordShardSize, type OperatorMetrics } from './metrics.js';
import { NodeSecrets } from './node-secrets.js';
import { TerminalError, WorkQueue } from './queue.js';
import { ReachabilityReconciler } from './reachability.js';
import { ShardReconciler } from './shard-reconciler.js';
import { StatusReconciler } from './status-reconciler.js';
import { TunnelShell } from './tunnel.js';

export { FIELD_MANAGER, HASH_ANNOTATION } from './cluster-writer.js';
export { defaultControllerConfig, type ControllerConfig } from './config.js';

const PLAN = 'plan';
/** Schools ranked between two turns of the event loop while the caches fill. */
const RANKING_SLICE = 500;
type Kind = 'School' | 'Nvr' | 'MediaNode' | 'FaceIdDevice';

/** What of an Nvr's status feeds the render: the ONVIF-discovered cameras. */
const onvifVersion = (nvr: Nvr) => (nvr.spec.onvifSync ? contentHash(JSON.stringify(nvr.status?.discoveredCameras ?? [])) : '-');

export class FleetController {
  private readonly nodes: ResourceInformer<MediaNode & KubernetesObject>;
  private readonly schools: ResourceInformer<School & KubernetesObject>;
  private readonly nvrs: ResourceInformer<Nvr & KubernetesObject>;
  private readonly faceIdDevices: ResourceInformer<FaceIdDevice & KubernetesObject>;
  private readonly secrets: ResourceInformer<V1Secret>;
  private readonly shardQueue: WorkQueue;
  private readonly statusQueue: WorkQueue;
  private readonly writer: ClusterWriter;
  private readonly shards: ShardReconciler;
  private readonly statuses: StatusReconciler;
  private readonly tunnel: TunnelShell;
  private readonly credentialGc: CredentialSecretCollector;
  private readonly reachability: ReachabilityReconciler | undefined;
  private readonly dirty = new DirtyTracker();
  /** Generation (and, for an Nvr, discovered cameras) last seen per object: status-only updates are not changes. */
  private readonly seenVersions = new Map<string, string>();
  private readonly requestedAt = new Map<string, string | undefined>();
  /** Status inputs last queued per object, so a plan queues only statuses whose inputs changed. */
  private readonly statusInputs = new Map<string, string>();
  private plan: FleetPlan | undefined;
  /** When the oldest change not yet planned reached the informer, and per node the oldest change its shard awaits. */
  private changedSince: number | undefined;
  private readonly shardChangedSince = new Map<string, number>();
  /** Statuses wait for the shards their plan queued, and for no others: they trail, but never starve. */
  private statusBarrier: Promise<void> = Promise.resolve();
  private shardsPending = false;
  /** Nodes of the first plan: their ConfigMaps go out first, their statuses after all of them (the data path first). */
  private readonly statusLater = new Set<string>();
  private leading = false;
  /** Whether this leader has begun planning and writing: once its caches are complete. */
  private writing = false;
  private nodesPrepared = false;
  private readonly unrenderedPages: (readonly Nvr[])[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private tunnelTimer: NodeJS.Timeout | undefined;

  private constructor(
    kc: KubeConfig,
    private readonly config: ControllerConfig,
    private readonly log: Logger,
    private readonly metrics: OperatorMetrics,
  ) {
    const ns = config.fleetNamespace;
    this.writer = ClusterWriter.create({ kc, fleetNamespace: ns, log });
    const informer = <T extends KubernetesObject>(kind: Kind, onChange: (type: ChangeType, object: T) => void, onPage?: (items: readonly T[]) => void) => {
      const custom = { group: GROUP, version: VERSION, ...KINDS[kind] };
      return new ResourceInformer<T>(kc, customObjectPath(custom, ns), listCustomObjects<T>(kc, custom, ns, onPage), onChange, log);
    };
    this.nodes = informer('MediaNode', (type, o) => this.onChange('MediaNode', type, o));
    this.schools = informer<School & KubernetesObject>(
      'School',
      (type, o) => this.onChange('School', type, o),
      // Time zones are checked while the next page is on its way; the first check loads the runtime's zone data.
      (page) => page.forEach((school) => isValidTimezone(school.spec.timezone)),
    );
    this.nvrs = informer<Nvr & KubernetesObject>(
      'Nvr',
      (type, nvr) => {
        this.onChange('Nvr', type, nvr);
        this.reachability?.onChange(type, nvr);
      },
      (page) => this.onNvrPage(page),
    );
    this.faceIdDevices = informer('FaceIdDevice', (type, o) => this.onChange('FaceIdDevice', type, o));
    const secretsPath = `/api/v1/namespaces/${ns}/secrets`;
    // Plain JSON, as the watch brings them: the typed list would build a model object for every field of 10,000 Secrets.
    this.secrets = new ResourceInformer<V1Secret>(kc, secretsPath, paginated(plainListPage<V1Secret>(kc, secretsPath)), (_, secret) => {
      this.dirty.mark('Secret', secret.metadata?.name ?? '');
      this.changedSince ??= performance.now();
      if (this.writing) this.shardQueue.add(PLAN);
    }, log);
    const onError = (queue: string) => (key: string, error: unknown, retryInMs: number | undefined) => {
      const reason = error instanceof TerminalError ? error.reason : error instanceof ApiException ? `ApiError${error.code}` : 'Error';
      this.metrics.errors.inc({ reason });
      this.log.warn('reconcile failed', { queue, key, reason, retryInMs, error: error instanceof Error ? error.message : String(error) });
    };
    this.shardQueue = new WorkQueue((key) => this.timed('shard', () => (key === PLAN ? this.replan() : this.reconcileShard(key.slice('node/'.length)))), {
      // Eight shards in flight: a shard's render (CPU here) overlaps others' server-side applies (CPU in the API server).
      concurrency: 8,
      baseDelayMs: 200,
      maxDelayMs: 60_000,
      onError: onError('shard'),
    });
    this.statusQueue = new WorkQueue((key) => this.timed('status', async () => {
      // While its shard is being applied an object shows Reconciling; once applied, its outcome is written directly.
      const node = key.startsWith('MediaNode/') ? key.slice('MediaNode/'.length) : undefined;
      if (this.shardsPending && !node) await this.statuses.markReconciling(key);
      await this.statusBarrier;
      await (node ? this.shards.writeKeptStatus(node) : this.statuses.reconcile(key));
    }), { concurrency: 4, baseDelayMs: 500, maxDelayMs: 60_000, onError: onError('status') });
    const nodeSecrets = NodeSecrets.create({ core: this.writer.core, namespace: config.mediaNamespace });
    this.tunnel = TunnelShell.create({
      core: this.writer.core,
      namespace: config.mediaNamespace,
      apply: (m) => this.applyForNode(m),
      log,
      ...(config.tunnelPoll?.urlFor ? { urlFor: config.tunnelPoll.urlFor } : {}),
    });
    this.shards = ShardReconciler.create({
      writer: this.writer,
      secrets: nodeSecrets,
      tunnel: this.tunnel,
      config,
      log,
      metrics,
      node: (name) => this.nodes.get(name),
      egressIPs: () => this.nodes.list().flatMap((n) => n.spec.egressIPs),
      credentialsSecret: (name) => this.secrets.get(name, ns),
      configApplied: (node) => {
        const since = this.shardChangedSince.get(node);
        if (since === undefined) return;
        this.shardChangedSince.delete(node);
        this.metrics.editToApply.observe((performance.now() - since) / 1000);
      },
    });
    this.statuses = StatusReconciler.create({
      writer: this.writer,
      tunnel: this.tunnel,
      fleetNamespace: ns,
      plan: () => this.plan,
      school: (name) => this.schools.get(name, ns),
      nvr: (name) => this.nvrs.get(name, ns),
      faceIdDevice: (name) => this.faceIdDevices.get(name, ns),
      secret: (name) => this.secrets.get(name, ns),
      tunnelKey: (node) => this.shards.tunnelKey(node),
    });
    this.credentialGc = CredentialSecretCollector.create({ core: this.writer.core, namespace: ns, log, ...(config.credentialMinAgeMs !== undefined ? { minAgeMs: config.credentialMinAgeMs } : {}) });
    if (config.probe) {
      const urlFor = config.probe.urlFor ?? ((node: string) => `http://${configMapName(node)}.${config.mediaNamespace}.svc:${PROBE_PORT}`);
      this.reachability = ReachabilityReconciler.create({
        namespace: ns,
        nvr: (name) => this.nvrs.get(name, ns),
        nvrs: () => this.nvrs.list(),
        plan: () => this.plan,
        endpoints: { urlFor, token: () => nodeSecrets.probeToken() },
        patchStatus: (name, status, resourceVersion) => this.writer.patchStatus('Nvr', name, status, resourceVersion),
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
    const started = performance.now();
    const synced = (informer: ResourceInformer<KubernetesObject>) =>
      informer.start().then(() => this.log.debug('cache synced', { resource: informer.path, objects: informer.list().length, ms: Math.round(performance.now() - started) }));
    // One promise for the rest, so that a failure among them is handled even when the first two fail first.
    const rest = Promise.all([this.nvrs, this.faceIdDevices, this.secrets].map((i) => synced(i as ResourceInformer<KubernetesObject>)));
    rest.catch(() => undefined);
    await Promise.all([this.nodes, this.schools].map((i) => synced(i as ResourceInformer<KubernetesObject>)));
    this.prepareNodes();
    // The first plan's rankings are computed while the NVRs and Secrets still arrive, in slices between their pages.
    const [nodes, schools] = [[...this.nodes.list()], [...this.schools.list()]];
    for (let i = 0; i < schools.length; i += RANKING_SLICE) {
      prepareRankings(nodes, schools.slice(i, i + RANKING_SLICE));
      await new Promise((resolve) => setImmediate(resolve));
    }
    try {
      await rest;
    } finally {
      // Pages the credentials came too late for are rendered with their shards; none is kept past the first list.
      this.unrenderedPages.length = 0;
    }
    // A replica that became the leader while its caches filled begins now.
    if (this.leading) this.beginWriting();
  }

  /**
   * Called when this replica becomes the leader, which may happen while the caches still fill (leader election runs
   * beside the lists, as controller-runtime's does): it plans and writes once they are complete.
   */
  lead(): void {
    this.leading = true;
    this.prepareNodes();
    if (this.isSynced()) this.beginWriting();
  }

  private beginWriting(): void {
    if (this.writing) return;
    this.writing = true;
    // The initial list's events are the cold start, not edits.
    this.changedSince = undefined;
    this.dirty.markAll();
    this.shardQueue.add(PLAN);
    this.scheduleResync();
    this.reachability?.lead();
    this.scheduleTunnelPoll();
  }

  /** A leader's first work, once the nodes are listed and while the NVRs still list (`ShardReconciler.prepare`). */
  private prepareNodes(): void {
    if (!this.leading || !this.nodes.isSynced() || this.nodesPrepared) return;
    this.nodesPrepared = true;
    void this.shards.prepare([...this.nodes.list()], () => this.leading);
  }

  /**
   * Each NVR's cameras are computed, and its part of its shard's config rendered, while the next page of the list is
   * on its way: the shards are then joined from parts once the list ends. Pages that arrive before the credentials
   * are cached are rendered with the next page, or with their shards if the list ends first (`start`).
   */
  private onNvrPage(page: readonly Nvr[]): void {
    for (const nvr of page) publishedCameras(nvr);
    if (!this.secrets.isSynced()) {
      this.unrenderedPages.push(page);
      return;
    }
    for (const nvrs of [...this.unrenderedPages.splice(0), page]) for (const nvr of nvrs) this.shards.renderNvr(nvr);
  }

  isSynced(): boolean {
    return this.informers().every((i) => i.isSynced());
  }

  async stop(): Promise<void> {
    this.leading = false;
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    if (this.tunnelTimer) clearTimeout(this.tunnelTimer);
    this.shardQueue.stop();
    this.statusQueue.stop();
    this.reachability?.stop();
    await Promise.all(this.informers().map((i) => i.stop()));
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

  private informers() {
    return [this.nodes, this.schools, this.nvrs, this.faceIdDevices, this.secrets];
  }

  /** Objects the tunnel writes for a node carry the node's owner reference like every other shard object. */
  private applyForNode(manifest: Manifest): Promise<void> {
    const node = this.nodes.get((manifest.metadata.labels as Record<string, string> | undefined)?.[NODE_LABEL] ?? '');
    return node ? this.shards.applyOwned(node, manifest) : this.writer.apply(manifest);
  }

  /** Handshakes reach School status by polling each tunnel node's sidecar. */
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

  private scheduleResync(): void {
    const jittered = this.config.resyncMs * (0.9 + Math.random() * 0.2);
    this.resyncTimer = setTimeout(() => {
      this.statusInputs.clear();
      this.dirty.markAll();
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

  private async reconcileShard(node: string): Promise<void> {
    const since = this.shardChangedSince.get(node);
    const statusLater = this.statusLater.delete(node);
    try {
      await this.shards.reconcile(node, this.plan?.shards.get(node), { statusLater });
    } finally {
      if (statusLater) this.statusQueue.add(`MediaNode/${node}`);
    }
    // A run that wrote nothing (an unchanged hash) ends the wait too; a change queued meanwhile keeps its own.
    if (this.shardChangedSince.get(node) === since) this.shardChangedSince.delete(node);
  }

  private onChange(kind: Kind, type: ChangeType, object: KubernetesObject): void {
    // Status-only updates are mostly the operator's own writes; of an Nvr's status only ONVIF results feed the render.
    const key = `${kind}/${object.metadata?.name}`;
    const version = `${object.metadata?.generation ?? 0}:${kind === 'Nvr' ? onvifVersion(object as unknown as Nvr) : ''}`;
    if (type === 'update' && this.seenVersions.get(key) === version && !this.requestedAtChanged(key, object)) return;
    if (type === 'delete') this.seenVersions.delete(key);
    else this.seenVersions.set(key, version);
    this.dirty.mark(kind as DirtyKind, object.metadata?.name ?? '', kind === 'Nvr' ? (object as unknown as Nvr) : undefined);
    this.changedSince ??= performance.now();
    // Before its caches are complete a leader has not begun: it plans the whole fleet once they are (beginWriting).
    if (this.writing) this.shardQueue.add(PLAN);
  }

  /** A `posbon.io/requested-at` annotation forces a full run even without a spec change. */
  private requestedAtChanged(key: string, object: KubernetesObject): boolean {
    const value = object.metadata?.annotations?.['posbon.io/requested-at'];
    const changed = this.requestedAt.get(key) !== value;
    this.requestedAt.set(key, value);
    if (changed) {
      this.statusInputs.clear();
      this.dirty.markAll();
    }
    return changed;
  }

  /** Plans the fleet and queues what the changes since the last plan touch; a full plan compares with the cluster. */
  private async replan(): Promise<void> {
    // Only the leader writes, and only from complete caches: a plan of a half-listed fleet would empty shards.
    if (!this.leading || !this.isSynced()) return;
    const dirty = this.dirty.take();
    const since = this.changedSince;
    this.changedSince = undefined;
    try {
      const ns = this.config.fleetNamespace;
      const fleet = { nodes: [...this.nodes.list()], schools: [...this.schools.list()], nvrs: [...this.nvrs.list()] };
      const started = performance.now();
      const admission = { hasCredentials: (nvr: Nvr) => this.hasCredentials(nvr), namespace: ns };
      const previous = this.plan;
      // Edits of NVRs alone keep the assignments: only their schools' shards are rebuilt, else the whole fleet is planned.
      const nvrsOnly = previous && !dirty.all && !dirty.schoolsEdited && dirty.secrets.size === 0;
      const replanned = nvrsOnly ? replanNvrs(previous, fleet, dirty.nvrs, admission) : undefined;
      const plan = replanned ?? planFleet(fleet, this.config.assign, admission);
      this.log.debug('fleet planned', { whole: !replanned, ms: Math.round(performance.now() - started) });
      if (dirty.all || !previous) {
        // Level-based: the shards the cluster holds are listed, so orphans are found whatever happened before.
        const present = await this.shards.observe();
        this.plan = plan;
        const nodes = new Set([...plan.shards.keys(), ...present, ...(previous?.shards.keys() ?? [])]);
        if (!previous) for (const node of plan.shards.keys()) this.statusLater.add(node);
        this.queueShards(nodes, plan, since);
        // The first plan writes the ConfigMaps before any status, the MediaNodes' included: the data path first, and the
        // API server's writes (tens of thousands of statuses on a new fleet) do not compete with it.
        if (previous) this.queueStatuses(plan, previous, undefined);
        else void this.statusBarrier.then(() => this.plan && this.leading && this.queueStatuses(this.plan, undefined, undefined));
        await this.credentialGc.collect(this.secrets.list(), this.nvrs.list(), this.faceIdDevices.list());
        return;
      }
      this.plan = plan;
      this.queueShards(touchedShards(dirty, plan, previous, this.nvrs.list()), plan, since);
      this.queueStatuses(plan, previous, dirty);
    } catch (error) {
      // Nothing a failed plan saw is lost: the retry is a full plan.
      this.dirty.markAll();
      if (since !== undefined) this.changedSince = Math.min(since, this.changedSince ?? since);
      throw error;
    }
  }

  private queueShards(nodes: Iterable<string>, plan: FleetPlan, since: number | undefined): void {
    if (since !== undefined) for (const node of nodes) if (!this.shardChangedSince.has(node)) this.shardChangedSince.set(node, since);
    const keys = [...nodes].map((node) => `node/${node}`);
    for (const key of keys) this.shardQueue.add(key);
    for (const node of nodes) recordShardSize(this.metrics, node, plan.shards.get(node));
    const barrier = this.shardQueue.processed(keys);
    this.statusBarrier = barrier;
    this.shardsPending = true;
    void barrier.then(() => {
      if (this.statusBarrier === barrier) this.shardsPending = false;
    });
  }

  /** Queues the statuses whose inputs changed: all of them after a full plan, else those of dirty objects. */
  private queueStatuses(plan: FleetPlan, previous: FleetPlan | undefined, dirty: Dirty | undefined): void {
    for (const school of this.schools.list()) {
      const name = school.metadata.name;
      if (dirty && !dirty.schools.has(name)) continue;
      const a = plan.assignments.get(name);
      this.queueStatus(`School/${name}`, `${school.metadata.generation}|${a?.node}|${a?.reason}|${plan.camerasBySchool.get(name)}|${plan.rejected.get(`School/${name}`)?.reason}|${schoolPlacement(school, plan).tunnel?.address}`);
    }
    for (const nvr of this.nvrs.list()) {
      if (dirty && !dirty.nvrs.has(nvr.metadata.name) && !dirty.schools.has(nvr.spec.schoolRef)) continue;
      const key = nvrKey(nvr);
      const node = plan.assignments.get(nvr.spec.schoolRef)?.node;
      if (previous && previous.assignments.get(nvr.spec.schoolRef)?.node !== node) this.reachability?.reprobe([nvr.metadata.name]);
      this.queueStatus(`Nvr/${nvr.metadata.name}`, `${nvr.metadata.generation}|${node}|${plan.camerasByNvr.get(key)}|${plan.orphanNvrs.has(key)}|${plan.rejected.get(`Nvr/${nvr.metadata.name}`)?.reason}|${node ? plan.shards.get(node)?.tunnel?.problems.find((p) => p.resource === `Nvr/${key}`)?.reason : ''}`);
    }
    for (const device of this.faceIdDevices.list()) {
      const secret = device.spec.webhookSecretRef?.name;
      if (dirty && !dirty.faceIdDevices.has(device.metadata.name) && !dirty.schools.has(device.spec.schoolRef) && !(secret && dirty.secrets.has(secret))) continue;
      const school = Boolean(this.schools.get(device.spec.schoolRef, this.config.fleetNamespace));
      this.queueStatus(`FaceIdDevice/${device.metadata.name}`, `${device.metadata.generation}|${school}|${secret ? this.secrets.get(secret, this.config.fleetNamespace)?.metadata?.resourceVersion : ''}`);
    }
  }

  private queueStatus(key: string, inputs: string): void {
    if (this.statusInputs.get(key) === inputs) return;
    this.statusInputs.set(key, inputs);
    this.statusQueue.add(key);
  }

  private hasCredentials(nvr: Nvr): boolean {
    const data = this.secrets.get(nvr.spec.credentialsSecretRef.name, this.config.fleetNamespace)?.data;
    return Boolean(data?.username && data.password);
  }
}
