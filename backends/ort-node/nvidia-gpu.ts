import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The first GPU's model name as the NVIDIA kernel driver reports it, if one is loaded. */
export function nvidiaGpuName(): string | undefined {
  const root = '/proc/driver/nvidia/gpus';
  try {
    for (const gpu of readdirSync(root)) {
      const info = readFileSync(path.join(root, gpu, 'information'), 'utf8');
      const model = /^Model:\s*(.+)$/m.exec(info)?.[1]?.trim();
      if (model) return model;
    }
  } catch {
    // No NVIDIA kernel driver: no name to give.
  }
  return undefined;
}
