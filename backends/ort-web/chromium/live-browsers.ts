import os from 'node:os';
import { killAndRemove } from './chromium-processes.ts';

/** A browser this process started and has not closed yet. */
export interface LiveBrowser {
  /** Temp directory holding the browser's profile and config; every Chromium process names it. */
  readonly rootDir: string;
}

/**
 * Every live browser of this process. Process-wide on purpose: SIGINT, SIGTERM and exit are
 * process-wide events, and whoever receives them must be able to reach every browser.
 */
const live = new Set<LiveBrowser>();
let handlersInstalled = false;

/** Register a browser; the returned function unregisters it (call it once it is closed). */
export function trackBrowser(browser: LiveBrowser): () => void {
  installHandlers();
  live.add(browser);
  return () => {
    live.delete(browser);
  };
}

/**
 * On SIGINT/SIGTERM, kill every live browser and delete its profile synchronously, then exit as
 * the signal would have (128 + its number). No graceful close: test runners follow SIGTERM with
 * SIGKILL within half a second (vitest: 500 ms), which would leave the profile directories behind.
 * On exit, whatever was not closed by then is killed the same way.
 */
function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const killAll = (): void => {
    for (const browser of live) killAndRemove(browser.rootDir);
    live.clear();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(128 + os.constants.signals[signal]);
    });
  }
  process.on('exit', killAll);
}
