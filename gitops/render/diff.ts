// What a reviewer reads: a unified diff between the renders of two fleet trees, file by file.
import { FILE_HEADERS_ONLY, createTwoFilesPatch, parsePatch, applyPatch } from 'diff';
import type { FleetRender } from './render.js';

const NONE = '/dev/null';

/** A unified diff from `base` (null: nothing rendered yet) to `head`; empty when both render the same. */
export function renderDiff(base: Pick<FleetRender, 'files'> | null, head: Pick<FleetRender, 'files'>): string {
  const before = base?.files ?? new Map<string, string>();
  const names = [...new Set([...before.keys(), ...head.files.keys()])].sort();
  const patches: string[] = [];
  for (const name of names) {
    const a = before.get(name);
    const b = head.files.get(name);
    if (a === b) continue;
    patches.push(
      createTwoFilesPatch(a === undefined ? NONE : `a/${name}`, b === undefined ? NONE : `b/${name}`, a ?? '', b ?? '', '', '', {
        context: 3,
        headerOptions: FILE_HEADERS_ONLY,
      }),
    );
  }
  return patches.join('');
}

/** Applies a diff made by renderDiff to the files it was made from: the files the reviewer was shown. */
export function applyRenderDiff(base: ReadonlyMap<string, string>, diff: string): Map<string, string> {
  const files = new Map(base);
  for (const patch of parsePatch(diff)) {
    const oldName = patch.oldFileName === NONE ? undefined : patch.oldFileName?.replace(/^a\//, '');
    const newName = patch.newFileName === NONE ? undefined : patch.newFileName?.replace(/^b\//, '');
    const result = applyPatch(oldName ? (files.get(oldName) ?? '') : '', patch);
    if (result === false) throw new Error(`the diff does not apply to ${oldName ?? newName}`);
    if (oldName) files.delete(oldName);
    if (newName) files.set(newName, result);
  }
  return files;
}
