import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import type { OutOfProcessMemory } from '../../../harness/core/backend/contract.ts';
import { BackendUnavailable } from '../../../harness/core/errors.ts';
import { removeLeftovers } from '../../../harness/core/leftovers.ts';
import { browserMemory, chromiumPidsUnder, killAndRemove } from './chromium-processes.ts';
import { trackBrowser } from './live-browsers.ts';

/**
 * Debian's `chromium` package binary. The real ELF, not /usr/bin/chromium: that wrapper script
 * sources /etc/chromium.d and adds flags of its own, so what runs would depend on the machine.
 */
export const CHROMIUM_PATH = '/usr/lib/chromium/chromium';
export const CHROMIUM_FIX = 'apt-get install -y chromium';
/** Each browser's profile and XDG dirs live under `<tmp>/decode-harness-chromium-<pid>-XXXXXX`. */
export const CHROMIUM_ROOT_PREFIX = 'decode-harness-chromium-';
const CHROMIUM_ROOT_PATTERN = new RegExp(`^${CHROMIUM_ROOT_PREFIX}(\\d+)-`);

export interface LaunchOptions {
  readonly executablePath: string;
  /** Pass --enable-unsafe-webgpu (with no GPU, Chromium then offers SwiftShader's software adapter). */
  readonly webgpu: boolean;
  /** The backend id, for error messages. */
  readonly backendId: string;
}

/** One console message (or uncaught page error, or crash) as the page produced it. */
export interface ConsoleLine {
  readonly type: string;
  readonly text: string;
}

/** How long a graceful close may take before the processes are killed. */
const CLOSE_MS = 10_000;

/**
 * The browser flags, each for a reason:
 * - the resolver maps every host name to NOTFOUND except 127.0.0.1, so the page reaches nothing
 *   but our server (IP literals are aborted by the context route below);
 * - background networking, component updates, sync, first-run and QUIC stay off so the browser
 *   starts nothing of its own;
 * - --enable-unsafe-webgpu exposes WebGPU on Linux, where it is otherwise blocklisted.
 */
function chromiumArgs(webgpu: boolean): string[] {
  return [
    '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    ...(webgpu ? ['--enable-unsafe-webgpu'] : []),
  ];
}

/**
 * One headless Chromium with a fresh profile and config directory under one temp root (deleted
 * on close), its single page, and everything that page printed. Closed by `close`; killed on
 * SIGINT, SIGTERM or process exit (live-browsers.ts); never left running.
 */
export class ChromiumBrowser {
  private readonly consoleLines: ConsoleLine[] = [];
  private closing: Promise<void> | undefined;
  private readonly untrack: () => void;

  private constructor(
    readonly rootDir: string,
    private readonly context: BrowserContext,
    readonly page: Page,
    readonly version: string,
  ) {
    this.untrack = trackBrowser(this);
    page.on('console', (message) => this.consoleLines.push({ type: message.type(), text: message.text() }));
    page.on('pageerror', (error) => this.consoleLines.push({ type: 'pageerror', text: error.message }));
    page.on('crash', () => this.consoleLines.push({ type: 'crash', text: 'the page crashed' }));
  }

  static async launch(options: LaunchOptions): Promise<ChromiumBrowser> {
    const { chromium } = await import('playwright-core');
    // Profiles of runs killed with -9 (2.5 MB each), then ours, named by our pid.
    removeLeftovers(os.tmpdir(), CHROMIUM_ROOT_PATTERN, killAndRemove);
    const rootDir = mkdtempSync(path.join(os.tmpdir(), `${CHROMIUM_ROOT_PREFIX}${process.pid}-`));
    const profileDir = path.join(rootDir, 'profile');
    const xdgDir = path.join(rootDir, 'xdg');
    mkdirSync(xdgDir);
    // Registered before launching: a signal during the launch must still remove the directory.
    const untrackPending = trackBrowser({ rootDir });
    let context: BrowserContext;
    try {
      context = await chromium.launchPersistentContext(profileDir, {
        executablePath: options.executablePath,
        headless: true,
        // The setuid sandbox cannot start as root; as any other user it stays on.
        chromiumSandbox: process.getuid?.() !== 0,
        args: chromiumArgs(options.webgpu),
        // Crashpad and dconf write under XDG dirs; keep them in the root we delete.
        env: { ...process.env, XDG_CONFIG_HOME: xdgDir, XDG_CACHE_HOME: xdgDir },
        // live-browsers.ts owns signals, so there is one policy for every browser.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
    } catch (error) {
      untrackPending();
      killAndRemove(rootDir);
      throw new BackendUnavailable(
        options.backendId,
        `Chromium at ${options.executablePath} failed to launch: ${(error as Error).message.split('\n')[0]}`,
        `check that ${options.executablePath} --headless --version runs; ${CHROMIUM_FIX}`,
      );
    }
    try {
      const loopback = /^http:\/\/127\.0\.0\.1:\d+\//;
      await context.route('**/*', (route) =>
        loopback.test(route.request().url()) ? route.continue() : route.abort('addressunreachable'),
      );
      const page = context.pages()[0] ?? (await context.newPage());
      return new ChromiumBrowser(rootDir, context, page, context.browser()?.version() ?? 'unknown');
    } catch (error) {
      await context.close().catch(() => undefined);
      killAndRemove(rootDir);
      throw error;
    } finally {
      untrackPending();
    }
  }

  /** Everything the page printed since the last drain. */
  drainConsole(): ConsoleLine[] {
    return this.consoleLines.splice(0);
  }

  /** Memory of all this browser's processes, now. */
  memory(): OutOfProcessMemory {
    return browserMemory(this.rootDir);
  }

  /** Close gracefully (bounded), kill what is left, delete the profile. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_MS).unref());
      await Promise.race([this.context.close().catch(() => undefined), timeout]);
      await waitForExit(this.rootDir, 2_000);
      killAndRemove(this.rootDir);
      this.untrack();
    })();
    return this.closing;
  }
}

/** Poll until no process names `rootDir` (crashpad handlers outlive the browser by a few ms). */
async function waitForExit(rootDir: string, limitMs: number): Promise<void> {
  const start = performance.now();
  while (chromiumPidsUnder(rootDir).length > 0 && performance.now() - start < limitMs) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
