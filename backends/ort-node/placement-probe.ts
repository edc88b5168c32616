import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { HarnessError } from '../../harness/core/errors.ts';
import { checkPlacements, parsePlacements } from '../onnx-shared/ort-placements.ts';
import type { EpSpec } from './execution-provider.ts';

const run = promisify(execFile);
const PROBE_TIMEOUT_MS = 120_000;

/**
 * Prove which provider runs each node. onnxruntime-node logs node placements only at verbose
 * level, to the process's stderr, where JavaScript cannot read it; so a child process creates
 * the same session at that level and its log is parsed. Shape and index ops on the CPU are
 * allowed; any compute node there is a fallback and an error. Returns the one-line summary for
 * BackendInfo.executionProvider.
 */
export async function probePlacements(
  spec: EpSpec,
  onnxPath: string,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const ortUrl = pathToFileURL(createRequire(import.meta.url).resolve('onnxruntime-node')).href;
  const code = [
    `const ort = (await import(${JSON.stringify(ortUrl)})).default;`,
    `const s = await ort.InferenceSession.create(${JSON.stringify(onnxPath)}, {`,
    `  executionProviders: [${JSON.stringify(spec.ep)}], logSeverityLevel: 0, logVerbosityLevel: 0 });`,
    'await s.release();',
  ].join('\n');
  let stderr: string;
  try {
    ({ stderr } = await run(process.execPath, ['--input-type=module', '-e', code], {
      env,
      timeout: PROBE_TIMEOUT_MS,
      maxBuffer: 64 << 20,
    }));
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const lastError = (e.stderr ?? '')
      .split('\n')
      .filter((l) => /error|fail/i.test(l))
      .slice(-2)
      .join(' | ');
    throw new HarnessError(
      `${spec.backendId}: onnxruntime could not create a ${spec.providerName} session for ${onnxPath}: ` +
        `${lastError || e.message}`,
      1,
    );
  }
  return checkPlacements(spec.backendId, spec.providerName, parsePlacements(stderr.split('\n')));
}
