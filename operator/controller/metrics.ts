// Prometheus metrics of the operator.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface OperatorMetrics {
  registry: Registry;
  reconcileDuration: Histogram<'queue'>;
  editToApply: Histogram;
  queueDepth: Gauge<'queue'>;
  errors: Counter<'reason'>;
  shardCameras: Gauge<'node'>;
  shardSchools: Gauge<'node'>;
  leader: Gauge;
  mediaNodeReady: Gauge<'node'>;
  shardStalled: Gauge<'node'>;
}

export function createOperatorMetrics(): OperatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'posbon_operator_' });
  return {
    registry,
    reconcileDuration: new Histogram({
      name: 'posbon_operator_reconcile_duration_seconds',
      help: 'Duration of one reconcile, by queue.',
      labelNames: ['queue'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    editToApply: new Histogram({
      name: 'posbon_operator_edit_to_apply_seconds',
      help: "From a fleet object's change reaching the informer to its shard's ConfigMap applied.",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    queueDepth: new Gauge({ name: 'posbon_operator_queue_depth', help: 'Keys waiting or running, by queue.', labelNames: ['queue'], registers: [registry] }),
    errors: new Counter({ name: 'posbon_operator_reconcile_errors_total', help: 'Failed reconciles, by reason.', labelNames: ['reason'], registers: [registry] }),
    shardCameras: new Gauge({ name: 'posbon_operator_shard_cameras', help: 'Cameras assigned to each media node.', labelNames: ['node'], registers: [registry] }),
    shardSchools: new Gauge({ name: 'posbon_operator_shard_schools', help: 'Schools assigned to each media node.', labelNames: ['node'], registers: [registry] }),
    leader: new Gauge({ name: 'posbon_operator_leader', help: '1 while this replica holds the lease.', registers: [registry] }),
    mediaNodeReady: new Gauge({
      name: 'posbon_operator_media_node_ready',
      help: "1 while the media node's Ready condition, as the leader last wrote it, is True.",
      labelNames: ['node'],
      registers: [registry],
    }),
    shardStalled: new Gauge({
      name: 'posbon_operator_shard_stalled',
      help: "1 while the last reconcile of the media node's shard failed (its previous config stays in place).",
      labelNames: ['node'],
      registers: [registry],
    }),
  };
}

/** A node's shard size in the gauges, or no series once the node has left the fleet. */
export function recordShardSize(metrics: OperatorMetrics, node: string, shard: { cameraCount: number; schools: string[] } | undefined): void {
  if (!shard) {
    metrics.shardCameras.remove({ node });
    metrics.shardSchools.remove({ node });
    return;
  }
  metrics.shardCameras.set({ node }, shard.cameraCount);
  metrics.shardSchools.set({ node }, shard.schools.length);
}
