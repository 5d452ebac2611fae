// The write path the API calls: fleet objects to put or remove become files in their places and one pull request.
import { stringify } from 'yaml';
import { validateAny, type FleetResource as FleetObject } from '../crds/index.js';
import { InputError } from '../lib/errors/index.js';
import { fleetPath, placeOf, type FleetKind } from './fleet-repo/layout.js';
import { parseFleetTree, type FleetResource } from './fleet-repo/tree.js';
import type { FileChange, GitHost, Person } from './hosts/git-host.js';
import { propose, readBase, type ProposeResult } from './propose.js';

export interface FleetChangeRequest {
  /** The cluster folder under clusters/ the objects belong to. */
  env: string;
  /** Objects to create or replace, each as the crds/ schema takes it. */
  put?: unknown[];
  remove?: { kind: FleetKind; name: string }[];
  title?: string;
  summary?: string;
  requestedBy?: Person;
}

const ENV = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The object as it belongs in Git: no status, no server-side metadata. */
function manifest(object: FleetObject): Record<string, unknown> {
  const { name, labels, annotations } = object.metadata;
  const metadata = { name, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) };
  return { apiVersion: object.apiVersion, kind: object.kind, metadata, spec: object.spec };
}

const schoolOfObject = (o: FleetObject): string | undefined => (o.kind === 'School' ? o.metadata.name : o.kind === 'MediaNode' ? undefined : o.spec.schoolRef);

/** Where a new object goes; a file name inside a school folder drops the school's prefix (school-17-gate → gate.yaml). */
function newPath(env: string, o: FleetObject): string {
  const within = (school: string) => (o.metadata.name.startsWith(`${school}-`) ? o.metadata.name.slice(school.length + 1) : o.metadata.name);
  if (o.kind === 'MediaNode') return fleetPath.mediaNode(env, o.metadata.name);
  if (o.kind === 'School') return fleetPath.school(env, o.metadata.name);
  if (o.kind === 'Nvr') return fleetPath.nvr(env, o.spec.schoolRef, within(o.spec.schoolRef));
  return fleetPath.faceIdDevice(env, o.spec.schoolRef, within(o.spec.schoolRef));
}

function titleOf(verbs: string[], objects: { kind: string; name: string }[], school: string | undefined): string {
  if (objects.length === 1) return `${verbs[0]} ${objects[0]!.kind} ${objects[0]!.name}`;
  return `Change ${objects.length} fleet objects${school ? ` of ${school}` : ''}`;
}

/**
 * Validates the objects (an InputError names the field, as `put[0].spec.publicHost`), places them in the fleet
 * layout next to their current file, and proposes them as one pull request with the rendered diff.
 */
export async function proposeFleetChange(host: GitHost, request: FleetChangeRequest): Promise<ProposeResult> {
  if (!ENV.test(request.env)) throw new InputError('env', 'must be a DNS label such as dev or prod');
  const put = (request.put ?? []).map((raw, i) => {
    const result = validateAny(raw);
    if (!result.ok) throw new InputError(`put[${i}].${result.errors[0]!.field}`, result.errors[0]!.message);
    return result.value;
  });
  const remove = request.remove ?? [];
  if (put.length + remove.length === 0) throw new InputError('put', 'a change puts or removes at least one object');

  const base = await readBase(host);
  const inEnv = parseFleetTree(base.files).resources.filter((r) => r.path.startsWith(`clusters/${request.env}/`));
  const existing = (kind: string, name: string): FleetResource | undefined => inEnv.find((r) => r.kind === kind && r.name === name);
  const files: FileChange[] = [];
  const verbs: string[] = [];
  for (const object of put) {
    const current = existing(object.kind, object.metadata.name);
    verbs.push(current ? 'Update' : 'Add');
    files.push({ path: current?.path ?? newPath(request.env, object), content: stringify(manifest(object)) });
  }
  for (const [i, { kind, name }] of remove.entries()) {
    const current = existing(kind, name);
    if (!current) throw new InputError(`remove[${i}]`, `${kind}/${name} is not in clusters/${request.env}`);
    verbs.push('Remove');
    files.push({ path: current.path, content: null });
  }

  const touched = [...put.map((o) => ({ kind: o.kind, name: o.metadata.name })), ...remove];
  const kinds = [...new Set(touched.map((t) => t.kind))];
  const schools = [...new Set([...put.map(schoolOfObject), ...remove.map((r) => placeOf(existing(r.kind, r.name)!.path)?.school)])];
  const school = schools.length === 1 && schools[0] !== undefined ? schools[0] : undefined;
  return propose(
    host,
    {
      title: request.title ?? titleOf(verbs, touched, school),
      summary: request.summary ?? touched.map((t, i) => `- ${verbs[i]} ${t.kind} \`${t.name}\``).join('\n'),
      kind: kinds.length === 1 ? kinds[0]! : 'Mixed',
      ...(school ? { school } : {}),
      files,
      ...(request.requestedBy ? { requestedBy: request.requestedBy } : {}),
    },
    base,
  );
}
