// `npm run crds`: writes the generated CustomResourceDefinitions next to the schemas.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderCrdFiles } from './crd.js';

const dir = join(import.meta.dirname, 'generated');
await mkdir(dir, { recursive: true });
for (const [name, content] of Object.entries(renderCrdFiles())) {
  await writeFile(join(dir, name), content);
  console.log(`wrote crds/generated/${name}`);
}
