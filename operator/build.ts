// `npm run build:operator`: the operator as one ES module for production and benchmarks, so a process starts in
// a fraction of a second instead of compiling TypeScript and resolving a thousand files first.
import { build } from 'esbuild';
import { join } from 'node:path';
import { writeAsciiOutput } from '../lib/tools/ascii-source.js';

const root = join(import.meta.dirname, '..');
const { outputFiles } = await build({
  entryPoints: [join(root, 'operator/main.ts')],
  outfile: join(root, 'dist/operator.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  write: false,
  // Bundled CommonJS dependencies still call require().
  banner: { js: "import { createRequire as __posbonRequire } from 'node:module'; const require = __posbonRequire(import.meta.url);" },
});
await writeAsciiOutput(outputFiles);
console.log('built dist/operator.mjs');
