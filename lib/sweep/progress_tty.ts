/**
 * Progress on a terminal: one live line of at most 100 columns (or the terminal's width),
 * redrawn in place: done/total, ETA, best so far, the running trials' key numbers.
 *
 * @module
 */

import {
  type ProgressEvent,
  type ProgressSink,
  ProgressTracker,
  STATUS_COLUMNS,
  statusLine,
} from "./progress.ts";

/** Where the bar goes and how wide it may be. */
export interface TtyOutput {
  write(text: string): void;
  columns(): number;
}

/** Redraws at most this often, except when a trial ends or the sweep does. */
const REDRAW_MS = 100;
const BAR_CELLS = 20;

/**
 * A live progress bar for a terminal.
 *
 * @example
 * ```ts
 * import { TtyProgress } from "./progress_tty.ts";
 * const bar = new TtyProgress({ write: (text) => console.log(text), columns: () => 80 });
 * bar.handle({ type: "trial-start", id: "ab12cd34", config: { lr: 0.1 } });
 * ```
 */
export class TtyProgress implements ProgressSink {
  readonly tracker: ProgressTracker;
  #lastDraw = -Infinity;

  constructor(
    private readonly output: TtyOutput = terminalOutput(),
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tracker = new ProgressTracker(now);
  }

  handle(event: ProgressEvent): void {
    this.tracker.handle(event);
    if (event.type === "interrupt") {
      const message = event.mode === "stop"
        ? `interrupt: finishing ${event.running} running trial(s), starting no new ones; Ctrl-C again to abandon them`
        : `interrupt: abandoning ${event.running} running trial(s); they stay unrecorded and rerun next time`;
      this.output.write(`\r\x1b[2K${message}\n`);
    }
    const urgent = event.type !== "trial-report" && event.type !== "trial-start";
    if (urgent || this.now() - this.#lastDraw >= REDRAW_MS) this.#draw();
    if (event.type === "sweep-end") this.output.write("\n");
  }

  #draw() {
    this.#lastDraw = this.now();
    const { done, total } = this.tracker;
    const filled = total === 0 ? BAR_CELLS : Math.round((done / total) * BAR_CELLS);
    const bar = `[${"#".repeat(filled)}${".".repeat(BAR_CELLS - filled)}]`;
    const width = Math.max(Math.min(this.output.columns() - 1, STATUS_COLUMNS), 40);
    this.output.write(`\r\x1b[2K${bar} ${statusLine(this.tracker, width - bar.length - 1)}`);
  }
}

function terminalOutput(): TtyOutput {
  const encoder = new TextEncoder();
  return {
    write(text) {
      const bytes = encoder.encode(text);
      for (let written = 0; written < bytes.length;) {
        written += Deno.stdout.writeSync(bytes.subarray(written));
      }
    },
    columns() {
      try {
        return Deno.consoleSize().columns || 100;
      } catch {
        return 100;
      }
    },
  };
}
