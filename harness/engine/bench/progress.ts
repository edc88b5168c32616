/**
 * Progress of a long benchmark on stderr (stdout stays for the report, so `--json` pipes cleanly).
 * On a terminal the current status rewrites one line; elsewhere (CI logs) each status is a line.
 */
export interface Progress {
  /** A status that the next one replaces (e.g. "rep 3/5"). */
  status(text: string): void;
  /** A line that stays (a stage finished, a backend refused). */
  note(text: string): void;
  /** Clear a pending status line before the report is printed. */
  done(): void;
}

export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = stream.isTTY === true;
  let pending = false;
  const clear = () => {
    if (pending) stream.write('\r\x1b[2K');
    pending = false;
  };
  return {
    status(text) {
      if (!tty) {
        stream.write(`… ${text}\n`);
        return;
      }
      clear();
      stream.write(`… ${text}`.slice(0, (stream.columns ?? 120) - 1));
      pending = true;
    },
    note(text) {
      clear();
      stream.write(`… ${text}\n`);
    },
    done: clear,
  };
}

/** For tests and library callers that want no output. */
export const silentProgress: Progress = { status() {}, note() {}, done() {} };
