// An allowlisted NVR's credentials, read from the node's mounted Secret at the moment a probe needs them.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Credentials } from '../../lib/devices/digest.js';

/**
 * Reads an NVR's credentials from the mounted folder, in either layout:
 * `<dir>/<namespace>/<secret>/{username,password}` (one volume item per Secret), or
 * `<dir>/<namespace>.<secret>.{username,password}` (the keys of one per-node Secret mounted whole, which the
 * kubelet updates in place; a pod cannot mount Secrets of the schools' namespaces directly).
 * Undefined when neither is there.
 */
export async function readCredentials(dir: string, namespace: string, secret: string): Promise<Credentials | undefined> {
  const layouts = [(field: string) => join(dir, namespace, secret, field), (field: string) => join(dir, `${namespace}.${secret}.${field}`)];
  for (const file of layouts) {
    try {
      const [username, password] = await Promise.all(['username', 'password'].map((f) => readFile(file(f), 'utf8')));
      return { username: username!.trim(), password: password!.replace(/\r?\n$/, '') };
    } catch {
      // try the next layout
    }
  }
  return undefined;
}
