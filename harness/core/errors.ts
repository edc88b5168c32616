/**
 * Errors a user can act on. Each names the bad value and the fix; the CLI prints the message
 * (no stack unless --verbose) and exits with `exitCode`.
 */
export class HarnessError extends Error {
  /** 1: a check or gate failed; 2: bad usage or input. */
  readonly exitCode: 1 | 2;
  constructor(message: string, exitCode: 1 | 2 = 2) {
    // One line, always: some causes quoted in messages (JSON.parse's, parseArgs') span several.
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad command-line usage or option value. */
export class UsageError extends HarnessError {}

/** A model directory that is missing files, malformed, or inconsistent with itself. */
export class ModelDirError extends HarnessError {}

/** A backend that cannot run on this machine; `reason` says why and `fix` how to make it run. */
export class BackendUnavailable extends HarnessError {
  readonly backendId: string;
  readonly reason: string;
  readonly fix: string;
  constructor(backendId: string, reason: string, fix: string) {
    super(`backend ${backendId} is unavailable: ${reason}. Fix: ${fix}`);
    this.backendId = backendId;
    this.reason = reason;
    this.fix = fix;
  }
}

/** A backend produced logits that cannot be decoded (NaN or ±Inf). */
export class NumericError extends HarnessError {
  constructor(message: string) {
    super(message, 1);
  }
}
