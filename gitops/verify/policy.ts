// A policy is a pure function over a fleet change (the pull request's head tree and its base) returning violations.
import type { FleetTree } from '../fleet-repo/tree.js';

export interface Violation {
  policy: string;
  reason: string;
  path?: string;
  resource?: string;
}

export interface FleetChange {
  head: FleetTree;
  /** The target branch's tree; absent when verifying a tree on its own. */
  base?: FleetTree;
}

export interface Policy {
  name: string;
  description: string;
  check(change: FleetChange): Violation[];
}

export function runPolicies(policies: readonly Policy[], change: FleetChange): Violation[] {
  return policies.flatMap((policy) => policy.check(change));
}

export function formatViolation(v: Violation): string {
  const where = [v.path, v.resource].filter(Boolean).join(' ');
  return `${v.policy}: ${where ? `${where}: ` : ''}${v.reason}`;
}
