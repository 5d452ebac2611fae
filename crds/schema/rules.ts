// A validation rule is written once: CEL for the API server, a TypeScript check for local validation.
import { z } from 'zod';

export interface Rule<T> {
  /** The CEL expression the API server evaluates (`self` is the value). */
  cel: string;
  message: string;
  /** The same rule in TypeScript, for `validate()` without a cluster. */
  check: (value: T) => boolean;
  /** Relative path of the field to blame, for a rule set on an object (`.publicRtspPort`). */
  fieldPath?: string;
}

/** Attaches rules to a schema: as `x-kubernetes-validations` in the CRD, and as zod checks locally. */
export function withRules<S extends z.ZodType>(schema: S, rules: Array<Rule<z.output<S>>>): S {
  let out = schema;
  for (const rule of rules) {
    out = out.superRefine((value, ctx) => {
      if (!rule.check(value as z.output<S>)) {
        ctx.addIssue({ code: 'custom', message: rule.message, path: rule.fieldPath ? rule.fieldPath.slice(1).split('.') : [] });
      }
    }) as S;
  }
  // Metadata goes on last: a refinement returns a new schema that would not carry it.
  return out.meta({
    ...(schema.meta() ?? {}),
    'x-kubernetes-validations': rules.map((r) => ({ rule: r.cel, message: r.message, ...(r.fieldPath ? { fieldPath: r.fieldPath } : {}) })),
  }) as S;
}
