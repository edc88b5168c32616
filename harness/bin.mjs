#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader: no build step, the sources are what runs.
import { register } from 'tsx/esm/api';

register();
// A reader that goes away (`decode-harness trace … | head`) ends the command quietly, as other
// command-line tools do, instead of with a stack trace.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});
const { main } = await import('./app/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
