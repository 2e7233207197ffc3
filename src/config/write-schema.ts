// `npm run schema`: writes config/schema/*.schema.json and docs/configuration.md from the
// schemas. test/config/schema.test.ts fails when the committed files are out of date.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSchemaFiles } from './jsonschema.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
for (const [file, content] of renderSchemaFiles()) {
  const abs = resolve(root, file);
  await mkdir(dirname(abs), { recursive: true });
  await writeFile(abs, content);
  console.log(`wrote ${file}`);
}
