/**
 * Progress off a terminal (logs, CI, Slurm output files): one JSON object per line on stdout,
 * e.g. `{"event":"trial-end","time":"2025-01-01T00:00:00.000Z","id":"3fa2c1d09e8b7a65",...}`.
 * NaN and ±Infinity appear as the strings "NaN", "Infinity", "-Infinity".
 *
 * @module
 */

import { stringifyKeepingNonFinite } from "./json.ts";
import type { ProgressEvent, ProgressSink } from "./progress.ts";

/** A trial's `trial-report` events are written at most this often (the rest are dropped). */
export const REPORT_EVERY_MS = 1000;

/**
 * Writes every event as a JSON line, except that each trial's reports are thinned to one per
 * {@link REPORT_EVERY_MS} (the full history is in the trial file).
 *
 * @example
 * ```ts
 * import { JsonLinesProgress } from "./progress_json.ts";
 * const lines: string[] = [];
 * const sink = new JsonLinesProgress((line) => lines.push(line));
 * sink.handle({ type: "trial-start", id: "ab12", config: { lr: 0.1 } });
 * JSON.parse(lines[0]).event; // "trial-start"
 * ```
 */
export class JsonLinesProgress implements ProgressSink {
  #lastReport = new Map<string, number>();

  constructor(
    private readonly writeLine: (line: string) => void = stdoutLine(),
    private readonly now: () => number = () => performance.now(),
  ) {}

  handle(event: ProgressEvent): void {
    if (event.type === "trial-report") {
      const last = this.#lastReport.get(event.id);
      if (last !== undefined && this.now() - last < REPORT_EVERY_MS) return;
      this.#lastReport.set(event.id, this.now());
    }
    if (event.type === "trial-end") this.#lastReport.delete(event.id);
    const { type, ...fields } = event;
    this.writeLine(
      stringifyKeepingNonFinite({ event: type, time: new Date().toISOString(), ...fields }),
    );
  }
}

function stdoutLine(): (line: string) => void {
  const encoder = new TextEncoder();
  return (line) => {
    const bytes = encoder.encode(line + "\n");
    for (let written = 0; written < bytes.length;) {
      written += Deno.stdout.writeSync(bytes.subarray(written));
    }
  };
}
