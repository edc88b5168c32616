import { readFileSync } from 'node:fs';
import type { BackendInfo } from '../../core/backend/contract.ts';
import { machineRecord } from '../../core/machine.ts';
import { projectPath } from '../../core/project-root.ts';
import type { Golden } from './golden-schema.ts';

/** Packages whose versions can move a golden: the RNG behind the coins and the tokenizer. */
const PACKAGES = ['seedrandom', '@huggingface/transformers'] as const;

interface PackageJson {
  readonly version: string;
  readonly dependencies: Readonly<Record<string, string>>;
}

/** The harness version and its exact dependency pins (package.json pins exact versions). */
function harnessVersions(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as PackageJson;
  const versions: Record<string, string> = { 'decode-harness': pkg.version, node: process.versions.node };
  for (const name of PACKAGES) versions[name] = pkg.dependencies[name] ?? 'not a dependency';
  return versions;
}

/** `decode-harness record --model 'my dir'`: the argv as a shell would need it retyped. */
export function commandLine(argv: readonly string[]): string {
  const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);
  return ['decode-harness', ...argv].map(quote).join(' ');
}

/** Who recorded a golden, how, with what, and when: enough to reproduce or distrust it. */
export function goldenProvenance(backend: BackendInfo, argv: readonly string[]): Golden['provenance'] {
  return {
    backend: { ...backend, versions: { ...backend.versions } },
    command: commandLine(argv),
    versions: harnessVersions(),
    recordedAt: new Date().toISOString(),
    gitCommit: machineRecord().gitCommit,
  };
}
