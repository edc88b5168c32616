#!/usr/bin/env tsx
/**
 * Rebuild the embedded models from their seeds, print sha256 and size per file, and compare with
 * the committed manifests (exit 1 on a difference). With --update-manifest, write the manifests
 * instead (commit them afterwards).
 *
 *   tsx scripts/make-fixture-models.ts [--update-manifest] [names...]
 */
import { existsSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { echo, minimist } from 'zx';
import {
  buildEmbeddedModelFiles,
  EMBEDDED_MODEL_NAMES,
  embeddedModelDir,
  manifestFromFiles,
  manifestPath,
  readManifest,
} from '../harness/engine/model-gen/embedded-models.ts';
import { writeModelDirAtomically } from '../harness/engine/model-gen/write-model-dir.ts';

const USAGE = 'usage: tsx scripts/make-fixture-models.ts [--update-manifest] [names...]';
const args = minimist(process.argv.slice(2), {
  boolean: ['update-manifest', 'help'],
  unknown: (arg) => {
    if (!arg.startsWith('-')) return true;
    console.error(`unknown option ${arg}; ${USAGE}`);
    process.exit(2);
  },
});
if (args.help) {
  echo(USAGE);
  process.exit(0);
}
const names = args._.length > 0 ? args._.map(String) : [...EMBEDDED_MODEL_NAMES];
const unknownNames = names.filter((n) => !EMBEDDED_MODEL_NAMES.includes(n));
if (unknownNames.length > 0) {
  console.error(`unknown model ${unknownNames.join(', ')}; embedded: ${EMBEDDED_MODEL_NAMES.join(', ')}`);
  process.exit(2);
}

let differences = 0;
for (const name of names) {
  const files = buildEmbeddedModelFiles(name);
  const manifest = manifestFromFiles(name, files);
  const committed = existsSync(manifestPath(name)) ? await readManifest(name) : undefined;
  echo(`${name}:`);
  for (const [file, { sha256, bytes }] of Object.entries(manifest.files)) {
    const expected = committed?.files[file]?.sha256;
    const verdict = expected === undefined ? 'not in manifest' : expected === sha256 ? 'ok' : 'DIFFERS';
    if (verdict !== 'ok') differences++;
    echo(`  ${sha256}  ${String(bytes).padStart(10)}  ${file}  ${verdict}`);
  }

  // Replace the built dir; readers in between rebuild the same bytes themselves.
  const dir = embeddedModelDir(name);
  await rm(dir, { recursive: true, force: true });
  await writeModelDirAtomically(dir, files);

  if (args['update-manifest']) {
    const path = manifestPath(name);
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(tmp, path);
    echo(`  wrote ${path}`);
  }
}

if (differences > 0 && !args['update-manifest']) {
  console.error(
    `${differences} file(s) differ from the committed manifests. If the generator changed on purpose, ` +
      'rerun with --update-manifest and commit the manifests; otherwise the build is not reproducible here.',
  );
  process.exit(1);
}
