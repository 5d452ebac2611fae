// MediaMTX, built from its pinned Go module: the media server `npm start` runs and the tests run against.
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { go, moduleDir, run, type Tool } from './go-build.js';

const MEDIAMTX = '1.20.1';

export const mediamtx: Tool = {
  name: 'mediamtx',
  version: MEDIAMTX,
  binary: 'mediamtx',
  async build(ctx) {
    await writeFile(join(ctx.work, 'go.mod'), 'module posbon.local/tools\n\ngo 1.26\n');
    const dir = await moduleDir(ctx.work, 'github.com/bluenviron/mediamtx', `v${MEDIAMTX}`);
    const src = join(ctx.work, 'mediamtx');
    await cp(dir, src, { recursive: true });
    await run('chmod', ['-R', 'u+w', src]);
    // Two embedded files are git-ignored upstream, so the module lacks them.
    await writeFile(join(src, 'internal/core/VERSION'), `v${MEDIAMTX}`);
    const hlsVersion = (await readFile(join(src, 'internal/servers/hls/hlsjsdownloader/VERSION'), 'utf8')).trim();
    ctx.log(`fetching hls.js ${hlsVersion} from the npm registry`);
    const { stdout } = await run('npm', ['pack', `hls.js@${hlsVersion.replace(/^v/, '')}`, '--silent'], { cwd: ctx.work });
    await run('tar', ['-xzf', join(ctx.work, stdout.trim().split('\n').pop()!), '-C', ctx.work]);
    await cp(join(ctx.work, 'package/dist/hls.min.js'), join(src, 'internal/servers/hls/hls.min.js'));
    ctx.log('compiling mediamtx');
    await go(src, ['build', '-ldflags', '-s -w', '-o', ctx.output, '.']);
  },
};
