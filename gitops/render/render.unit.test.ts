import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { main } from '../cli/main.js';
import type { CliIo } from '../cli/command.js';
import { parseFleetTree, readFleetTree, type FleetTree } from '../fleet-repo/tree.js';
import { applyRenderDiff, renderDiff } from './diff.js';
import { renderFleet } from './render.js';

const EXAMPLE = join(process.cwd(), 'gitops/example');
const NVR = 'clusters/dev/schools/school-17/nvrs/entrance.yaml';
const SCHOOL_42 = 'clusters/dev/schools/school-42/school.yaml';

async function example(change?: (files: Map<string, string>) => void): Promise<FleetTree> {
  const files = new Map((await readFleetTree(EXAMPLE)).files);
  change?.(files);
  return parseFleetTree(files);
}

const edit = (path: string, change: (o: Record<string, any>) => void) => (files: Map<string, string>) => {
  const o = parse(files.get(path)!);
  change(o);
  files.set(path, stringify(o));
};

function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, cwd: process.cwd() };
  return main(args, io).then((code) => ({ code, out, err }));
}

describe('render', () => {
  it("renders each node's config with credentials redacted and where every school is served", async () => {
    const rendered = renderFleet(await example());
    expect([...rendered.files.keys()]).toEqual(['mediamtx-fsn1-a.yml', 'mediamtx-fsn1-b.yml', 'placements.yaml']);
    expect(rendered.nodes.find((n) => n.node === 'fsn1-a')!.config.paths).toEqual({
      'school-17/school-17-entrance/gate': { source: 'rtsp://REDACTED:REDACTED@nvr17.schools.example.org:554/Streaming/Channels/101', sourceOnDemand: true },
      'school-17/school-17-entrance/hall': { source: 'rtsp://REDACTED:REDACTED@nvr17.schools.example.org:554/Streaming/Channels/201', sourceOnDemand: true },
    });
    expect(parse(rendered.files.get('mediamtx-fsn1-b.yml')!)).toMatchObject({
      authMethod: 'jwt',
      webrtcAdditionalHosts: ['198.51.100.11'],
      paths: { 'school-42/school-42-yard/yard': { source: 'rtsp://REDACTED:REDACTED@203.0.113.20:554/cam/realmonitor?channel=1&subtype=1', sourceOnDemand: true } },
    });
    expect(rendered.placements).toEqual([
      { school: 'school-17', mediaNode: 'fsn1-a', reason: 'Assigned', allowlistIPs: ['198.51.100.10'], cameras: 2 },
      { school: 'school-42', mediaNode: 'fsn1-b', reason: 'Pinned', allowlistIPs: ['198.51.100.11'], cameras: 1 },
    ]);
  });

  it('refuses a tree with an object the schema rejects, naming the field', async () => {
    const tree = await example(edit(NVR, (o) => (o.spec.publicHost = '10.0.0.1')));
    expect(() => renderFleet(tree)).toThrow(/^clusters\/dev\/schools\/school-17\/nvrs\/entrance\.yaml Nvr\/school-17-entrance: spec\.publicHost: must be a public IP address or DNS name/);
  });

  it('diffs only the nodes and placements a change touches', async () => {
    const base = renderFleet(await example());
    const head = renderFleet(await example(edit(NVR, (o) => o.spec.cameras.push({ id: 'yard', name: 'Yard', channel: 3 }))));
    expect(renderDiff(base, head)).toBe(
      [
        '--- a/mediamtx-fsn1-a.yml',
        '+++ b/mediamtx-fsn1-a.yml',
        '@@ -46,3 +46,6 @@',
        '   school-17/school-17-entrance/hall:',
        '     source: rtsp://REDACTED:REDACTED@nvr17.schools.example.org:554/Streaming/Channels/201',
        '     sourceOnDemand: true',
        '+  school-17/school-17-entrance/yard:',
        '+    source: rtsp://REDACTED:REDACTED@nvr17.schools.example.org:554/Streaming/Channels/301',
        '+    sourceOnDemand: true',
        '--- a/placements.yaml',
        '+++ b/placements.yaml',
        '@@ -3,7 +3,7 @@',
        '   reason: Assigned',
        '   allowlistIPs:',
        '     - 198.51.100.10',
        '-  cameras: 2',
        '+  cameras: 3',
        ' - school: school-42',
        '   mediaNode: fsn1-b',
        '   reason: Pinned',
        '',
      ].join('\n'),
    );
    expect(renderDiff(base, base)).toBe('');
  });

  it('shows a school moving to another node, and its new allowlist, as the diff reviewers apply', async () => {
    const base = renderFleet(await example());
    const head = renderFleet(await example(edit(SCHOOL_42, (o) => (o.spec.mediaNodeRef = 'fsn1-a'))));
    const diff = renderDiff(base, head);
    expect(diff).toContain('-  school-42/school-42-yard/yard:');
    expect(diff).toContain('+  school-42/school-42-yard/yard:');
    expect(diff).toContain('-    - 198.51.100.11\n+    - 198.51.100.10');
    expect(applyRenderDiff(base.files, diff)).toEqual(head.files);
    expect(applyRenderDiff(new Map(), renderDiff(null, head))).toEqual(head.files);
  });
});

describe('posbon-gitops render', () => {
  it('writes each config to --out and removes configs of nodes that left', async () => {
    const out = await mkdtemp(join(tmpdir(), 'posbon-render-'));
    await writeFile(join(out, 'mediamtx-gone.yml'), 'paths: {}\n');
    const result = await cli(['render', EXAMPLE, '--out', out]);
    expect(result).toEqual({
      code: 0,
      out: [expect.stringMatching(/^mediamtx-fsn1-a\.yml: 2 cameras of 1 schools, about \d+ bytes sealed$/), expect.stringMatching(/^mediamtx-fsn1-b\.yml: 1 cameras of 1 schools/)],
      err: [],
    });
    expect((await readdir(out)).sort()).toEqual(['mediamtx-fsn1-a.yml', 'mediamtx-fsn1-b.yml', 'placements.yaml']);
    expect(await readFile(join(out, 'mediamtx-fsn1-a.yml'), 'utf8')).toBe(renderFleet(await example()).files.get('mediamtx-fsn1-a.yml'));
  });

  it('prints the diff against another tree', async () => {
    const result = await cli(['render', EXAMPLE, '--against', EXAMPLE]);
    expect(result).toEqual({ code: 0, out: ['(no change to any media node)'], err: [] });
  });

  it('fails with exit code 2 and one line on a bad argument or folder', async () => {
    expect(await cli(['render'])).toEqual({ code: 2, out: [], err: ['error: FLEET_DIR: exactly one fleet folder is required'] });
    expect(await cli(['render', EXAMPLE, '--against', '/nonexistent/fleet'])).toEqual({ code: 2, out: [], err: ['error: --against: cannot read /nonexistent/fleet: ENOENT'] });
  });
});
