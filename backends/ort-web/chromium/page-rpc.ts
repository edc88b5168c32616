import { HarnessError } from '../../../harness/core/errors.ts';
import type { ChromiumBrowser, ConsoleLine } from './chromium-browser.ts';
import type { GpuErrorsAnswer, PageAnswer, PageMethod, PageRequest } from './page-protocol.ts';

/** A page call that failed, timed out, or left an error in the console: exit code 1, not a usage error. */
export class PageFailure extends HarnessError {
  constructor(message: string) {
    super(message, 1);
  }
}

/** The default limit for one call into the page. SwiftShader steps take ~0.3 s, so 60 s means hung. */
export const DEFAULT_CALL_TIMEOUT_MS = 60_000;

export interface CallOptions {
  readonly timeoutMs?: number;
  /** Console lines that are expected output of this call (e.g. onnxruntime's verbose log). */
  readonly expectedConsole?: RegExp;
}

export interface CallResult<R> {
  readonly value: R;
  /** Everything the page printed during the call. */
  readonly console: readonly ConsoleLine[];
  /** Node → page → Node, in milliseconds. */
  readonly roundTripMs: number;
}

/** Console types that mean something went wrong, unless the call expected them. */
const FAILING_TYPES = new Set(['error', 'warning', 'pageerror', 'crash']);

/**
 * Calls `globalThis.ortPage[method](arg)` in the page (page/ort-page.js), with a time limit, and
 * turns every sign of trouble into a PageFailure: a throw in the page, a timeout, a WebGPU error
 * the page saw (`gpuErrors` in the answer), or an error/warning in the console. After a failure
 * the page's state is unknown, so every later call fails too, naming the first failure.
 */
export class PageRpc {
  private failure: string | undefined;

  constructor(
    private readonly browser: ChromiumBrowser,
    private readonly backendId: string,
    private readonly callTimeoutMs: number = DEFAULT_CALL_TIMEOUT_MS,
  ) {
    if (!(Number.isFinite(callTimeoutMs) && callTimeoutMs > 0)) {
      throw new HarnessError(
        `${backendId}: call timeout ${callTimeoutMs} ms is not a positive number; pass e.g. ${DEFAULT_CALL_TIMEOUT_MS}`,
      );
    }
  }

  /** One of the page's own methods, with the argument and answer page-protocol.ts declares for it. */
  request<M extends PageMethod>(
    method: M,
    arg: PageRequest<M>,
    options: CallOptions = {},
  ): Promise<CallResult<PageAnswer<M>>> {
    return this.call<PageAnswer<M>>(method, arg, options);
  }

  /** Any method of `globalThis.ortPage`, unchecked (tests add methods of their own to the page). */
  async call<R>(method: string, arg: unknown, options: CallOptions = {}): Promise<CallResult<R>> {
    if (this.failure !== undefined) {
      throw new PageFailure(
        `${this.backendId}: the page is unusable after an earlier failure (${this.failure}); dispose this source and create a new one`,
      );
    }
    const timeoutMs = options.timeoutMs ?? this.callTimeoutMs;
    const startMs = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new PageFailure(
              `${this.backendId}: page call ${method} did not answer within ${timeoutMs / 1000} s; the page ` +
                'is hung or far slower than expected (raise callTimeoutMs if this machine is just slow)',
            ),
          ),
        timeoutMs,
      );
    });
    let value: R;
    try {
      value = await Promise.race([this.evaluate<R>(method, arg), timedOut]);
    } catch (error) {
      const message =
        error instanceof PageFailure ? error.message : pageErrorMessage(this.backendId, method, error);
      throw this.fail(message);
    } finally {
      clearTimeout(timer);
    }
    const roundTripMs = performance.now() - startMs;
    const gpuErrors = (value as Partial<GpuErrorsAnswer> | undefined)?.gpuErrors ?? [];
    if (gpuErrors.length > 0) {
      throw this.fail(
        `${this.backendId}: WebGPU reported ${gpuErrors.length} error(s) during ${method}: ${gpuErrors
          .slice(0, 3)
          .map(oneLine)
          .join(' | ')}`,
      );
    }
    const console = this.browser.drainConsole();
    const bad = console.filter(
      (line) => FAILING_TYPES.has(line.type) && !options.expectedConsole?.test(line.text),
    );
    if (bad.length > 0) {
      throw this.fail(
        `${this.backendId}: page call ${method} left ${bad.length} console error(s): ${bad
          .slice(0, 3)
          .map((line) => `[${line.type}] ${oneLine(line.text)}`)
          .join(' | ')}`,
      );
    }
    return { value, console, roundTripMs };
  }

  /** The method runs in the page; the arrow below is serialised by playwright, so it must stay self-contained. */
  private evaluate<R>(method: string, arg: unknown): Promise<R> {
    return this.browser.page.evaluate(
      ({ method, arg }) =>
        (globalThis as unknown as { ortPage: Record<string, (arg: unknown) => Promise<R>> }).ortPage[method]!(
          arg,
        ),
      { method, arg },
    ) as Promise<R>;
  }

  private fail(message: string): PageFailure {
    this.failure ??= message;
    return new PageFailure(message);
  }
}

function pageErrorMessage(backendId: string, method: string, error: unknown): string {
  const text = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return `${backendId}: page call ${method} failed: ${text}`;
}

/** Messages stay one line (WebGPU errors span several), cut to a readable length. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}
