// The ingress's Prometheus metrics: what each vendor's pushes carried and how the group commits went, beside the
// process metrics and the request durations. Served on the metrics port, summed over workers by the primary.
import { Counter, type Registry } from 'prom-client';
import { processRegistry } from '../../lib/metrics/index.js';
import type { EventSource } from './attendance.js';
import type { StoreStats } from './attendance-store.js';

export type PushCounter = 'requests' | 'stored' | 'duplicates' | 'rate_limited' | 'heartbeats' | 'ignored';

const PUSH_COUNTERS: Record<PushCounter, { name: string; help: string }> = {
  requests: { name: 'posbon_webhook_requests_total', help: 'Pushes accepted, by source.' },
  stored: { name: 'posbon_webhook_events_stored_total', help: 'Attendance events stored, by source.' },
  duplicates: { name: 'posbon_webhook_events_duplicate_total', help: 'Events already stored (a device re-sending), by source.' },
  rate_limited: { name: 'posbon_webhook_events_rate_limited_total', help: 'Second passes of a person within the window, kept but flagged, by source.' },
  heartbeats: { name: 'posbon_webhook_heartbeats_total', help: 'Heartbeat messages, by source.' },
  ignored: { name: 'posbon_webhook_messages_ignored_total', help: 'Messages acknowledged but not attendance (refused faces, other tables), by source.' },
};

export class WebhookMetrics {
  private constructor(
    readonly registry: Registry,
    private readonly counters: Record<PushCounter, Counter<'source'>>,
  ) {}

  static create(deps: { stats: StoreStats }): WebhookMetrics {
    const registry = processRegistry();
    const counters = Object.fromEntries(
      Object.entries(PUSH_COUNTERS).map(([key, { name, help }]) => [key, new Counter({ name, help, labelNames: ['source'], registers: [registry] })]),
    ) as Record<PushCounter, Counter<'source'>>;
    // The store counts its own commits; these read its figures at each scrape.
    const fromStats = (name: string, help: string, value: (s: StoreStats) => number) =>
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(value(deps.stats));
        },
      });
    fromStats('posbon_webhook_commit_batches_total', 'Group-commit transactions of attendance events.', (s) => s.batches);
    fromStats('posbon_webhook_commit_events_total', 'Events written by the group commits.', (s) => s.events);
    fromStats('posbon_webhook_commit_seconds_total', 'Time spent committing attendance events.', (s) => s.commitMs / 1000);
    return new WebhookMetrics(registry, counters);
  }

  count(source: EventSource, counter: PushCounter, by: number): void {
    this.counters[counter].inc({ source }, by);
  }
}
