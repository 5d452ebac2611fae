// A fleet repository as data: its YAML files and the resources in them, from a folder or from memory.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface FleetResource {
  path: string;
  /** Position of the document within its file. */
  index: number;
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string | null;
  object: Record<string, unknown>;
}

export interface FleetTree {
  /** Repository-relative path (forward slashes) → text. */
  files: ReadonlyMap<string, string>;
  resources: FleetResource[];
  parseErrors: { path: string; message: string }[];
}

const isYaml = (path: string) => /\.ya?ml$/.test(path);

export function parseFleetTree(files: ReadonlyMap<string, string>): FleetTree {
  const resources: FleetResource[] = [];
  const parseErrors: FleetTree['parseErrors'] = [];
  for (const [path, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    if (!isYaml(path)) continue;
    parseAllDocuments(text).forEach((doc, index) => {
      if (doc.errors.length > 0) {
        parseErrors.push({ path, message: doc.errors[0]!.message.split('\n')[0]! });
        return;
      }
      const object: unknown = doc.toJS();
      if (object === null || object === undefined) return;
      if (typeof object !== 'object' || Array.isArray(object)) {
        parseErrors.push({ path, message: `document ${index + 1} is not a mapping` });
        return;
      }
      const o = object as Record<string, unknown>;
      const metadata = (o.metadata ?? {}) as Record<string, unknown>;
      resources.push({
        path,
        index,
        apiVersion: typeof o.apiVersion === 'string' ? o.apiVersion : '',
        kind: typeof o.kind === 'string' ? o.kind : '',
        name: typeof metadata.name === 'string' ? metadata.name : '',
        namespace: typeof metadata.namespace === 'string' ? metadata.namespace : null,
        object: o,
      });
    });
  }
  return { files, resources, parseErrors };
}

/** Reads every YAML file under `dir`, skipping dot folders such as .git. */
export async function readFleetTree(dir: string): Promise<FleetTree> {
  const files = new Map<string, string>();
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = join(folder, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && isYaml(entry.name)) files.set(relative(dir, full).split(sep).join('/'), await readFile(full, 'utf8'));
    }
  };
  await walk(dir);
  return parseFleetTree(files);
}

export const resourceId = (r: Pick<FleetResource, 'kind' | 'namespace' | 'name'>): string =>
  `${r.kind}/${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
