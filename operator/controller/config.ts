// What the fleet controller is told: its namespaces, render and workload options, limits and timings.
import { FLEET_NAMESPACE } from '../../crds/index.js';
import { DEFAULT_ASSIGN_OPTIONS, type AssignOptions } from '../core/assign.js';
import { DEFAULT_RENDER_OPTIONS, type RenderOptions } from '../core/mediamtx.js';
import { DEFAULT_WORKLOAD_OPTIONS, type WorkloadOptions } from '../workload.js';

export interface ControllerConfig {
  fleetNamespace: string;
  mediaNamespace: string;
  render: RenderOptions;
  workload: WorkloadOptions;
  assign: AssignOptions;
  /** Largest sealed config written to a ConfigMap; the API server refuses objects over 1 MiB. */
  maxConfigBytes: number;
  resyncMs: number;
  /** How old an unreferenced credential Secret must be before it is deleted (ADR 0002 §5); a day when unset. */
  credentialMinAgeMs?: number;
  /** Whether to apply the Deployment and Service of each node (off where no workload API is wanted). */
  applyWorkloads: boolean;
  /** How NVRs are probed from their node's sidecar; off when unset. */
  probe?: { intervalMs: number; urlFor?: (node: string) => string };
  /** How often the WireGuard sidecars of tunnel nodes are asked for handshakes; off when unset. */
  tunnelPoll?: { intervalMs: number; urlFor?: (node: string) => string };
}

export const defaultControllerConfig = (overrides: Partial<ControllerConfig> = {}): ControllerConfig => ({
  fleetNamespace: FLEET_NAMESPACE,
  mediaNamespace: 'posbon-media',
  render: DEFAULT_RENDER_OPTIONS,
  workload: DEFAULT_WORKLOAD_OPTIONS,
  assign: DEFAULT_ASSIGN_OPTIONS,
  maxConfigBytes: 1_000_000,
  resyncMs: 10 * 60_000,
  applyWorkloads: true,
  ...overrides,
});
