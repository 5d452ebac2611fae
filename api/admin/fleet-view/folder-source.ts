// The embedded default's fleet: a folder laid out like the fleet repository, validated with the resource model.
import { validate, type FaceIdDevice, type MediaNode, type Nvr, type School } from '../../../crds/index.js';
import { readFleetTree } from '../../../gitops/index.js';
import type { Fleet } from '../../../operator/core/index.js';
import type { FleetSource } from './source.js';

export interface FolderProblem {
  path: string;
  message: string;
}

export class FolderFleetSource implements FleetSource {
  private current: Fleet = { nodes: [], schools: [], nvrs: [] };
  private loaded = false;
  private listeners: Array<() => void> = [];
  /** Files or resources left out, with why; reported once at start. */
  problems: FolderProblem[] = [];

  private constructor(
    private readonly dir: string,
    private readonly namespace: string,
  ) {}

  static create(deps: { dir: string; namespace?: string }): FolderFleetSource {
    return new FolderFleetSource(deps.dir, deps.namespace ?? 'posbon-fleet');
  }

  async start(): Promise<void> {
    await this.reload();
  }

  async stop(): Promise<void> {}

  /** Reads the folder again and tells listeners. */
  async reload(): Promise<void> {
    const tree = await readFleetTree(this.dir);
    const fleet: Fleet = { nodes: [], schools: [], nvrs: [], faceIdDevices: [] };
    const problems: FolderProblem[] = tree.parseErrors.map((e) => ({ path: e.path, message: e.message }));
    for (const resource of tree.resources) {
      const kind = resource.kind;
      if (kind !== 'School' && kind !== 'Nvr' && kind !== 'MediaNode' && kind !== 'FaceIdDevice') continue;
      const result = validate(kind, resource.object);
      if (!result.ok) {
        problems.push(...result.errors.map((e) => ({ path: resource.path, message: `${e.field}: ${e.message}` })));
        continue;
      }
      const value = result.value;
      if (kind !== 'MediaNode') value.metadata.namespace ??= this.namespace;
      if (kind === 'School') fleet.schools.push(value as School);
      else if (kind === 'Nvr') fleet.nvrs.push(value as Nvr);
      else if (kind === 'FaceIdDevice') fleet.faceIdDevices!.push(value as FaceIdDevice);
      else fleet.nodes.push(value as MediaNode);
    }
    this.current = fleet;
    this.problems = problems;
    this.loaded = true;
    for (const listener of this.listeners) listener();
  }

  fleet(): Fleet {
    return this.current;
  }
  isSynced(): boolean {
    return this.loaded;
  }
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }
}
