// No credential in Git: secret-like keys holding values, URLs with passwords, and Secret objects.
import { resourceId, type FleetTree } from '../../fleet-repo/tree.js';
import type { Policy, Violation } from '../policy.js';

const SECRET_KEY = /(pass(word|wd|phrase)?|secret|token|api[-_]?key|private[-_]?key|credentials?|pwd)$/i;
/** Keys that name where a credential is kept rather than holding it. */
const REFERENCE_KEY = /(ref|name|names|key[-_]?ref|secret[-_]?name)$/i;
const URL_WITH_PASSWORD = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i;

function scan(value: unknown, path: string[], found: string[]): void {
  if (typeof value === 'string') {
    if (URL_WITH_PASSWORD.test(value)) found.push(`${path.join('.')} holds a URL with a password`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => scan(item, [...path, String(i)], found));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, child] of Object.entries(value)) {
    const at = [...path, key];
    const holdsValue = (typeof child === 'string' && child !== '') || typeof child === 'number';
    if (SECRET_KEY.test(key) && !REFERENCE_KEY.test(key) && holdsValue) found.push(`${at.join('.')} holds a credential in plaintext`);
    scan(child, at, found);
  }
}

export function credentialsIn(tree: FleetTree): Violation[] {
  const violations: Violation[] = [];
  for (const r of tree.resources) {
    const base = { policy: 'no-credential-in-git', path: r.path, resource: resourceId(r) };
    if (r.kind === 'Secret' && (r.object.data !== undefined || r.object.stringData !== undefined)) {
      violations.push({ ...base, reason: 'a Secret with data is committed; credentials reach the cluster outside Git (docs/adr/0002)' });
      continue;
    }
    const found: string[] = [];
    scan(r.object, [], found);
    violations.push(...found.map((reason) => ({ ...base, reason })));
  }
  return violations;
}

export const noCredentialInGit: Policy = {
  name: 'no-credential-in-git',
  description: 'no password, token or secret value, no URL with a password, no Secret data in the fleet repository',
  check: ({ head }) => credentialsIn(head),
};
