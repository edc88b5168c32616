#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader: no build step, the sources are what runs.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
