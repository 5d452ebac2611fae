// The one zod parse helper of every route: the first issue becomes an InputError naming its field.
import type { z } from 'zod';
import { InputError } from '../../lib/errors/index.js';

export function parseInput<T>(schema: z.ZodType<T>, value: unknown, where = 'request'): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : where;
  throw new InputError(field, issue?.message ?? 'invalid');
}
