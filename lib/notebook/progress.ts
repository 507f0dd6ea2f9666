/**
 * A live progress line for notebooks: one output updated in place as training goes, usable
 * directly as a training callback. Outside a notebook it prints its final line once. The final
 * line carries no elapsed time, so a rerun that computes the same numbers saves the same output.
 *
 * @module
 */

import {
  type BundleDisplay,
  LiveDisplay,
  type MimeBundle,
  nextDisplayId,
  progressBarBundle,
} from "../jupyter/display.ts";

/** Where a progress line stands. */
export interface ProgressState {
  /** What is running, e.g. `"baseline"`. */
  label: string;
  /** Units done. */
  done: number;
  /** Units in all. */
  total: number;
  /** Name of a unit (default `"step"`). */
  unit: string;
  /** Seconds since the line was created (absent on the final line). */
  seconds?: number;
  /** Latest numbers to show beside the bar. */
  info: Record<string, number | string>;
}

function formatInfo(info: Record<string, number | string>): string {
  return Object.entries(info).map(([key, value]) =>
    `${key} ${typeof value === "number" ? Number(value.toPrecision(4)) : value}`
  ).join(" · ");
}

/**
 * The bundle of a progress line: plain text and HTML with a `<progress>` bar.
 *
 * @example
 * ```ts
 * progressBundle({ label: "baseline", done: 3, total: 23, unit: "pass", seconds: 4.2, info: {} });
 * ```
 */
export function progressBundle(state: ProgressState): MimeBundle {
  const total = Math.max(state.total, 1);
  const percent = Math.round(100 * Math.min(state.done / total, 1));
  const info = formatInfo(state.info);
  const line = `${state.label}: ${state.unit} ${state.done}/${state.total} (${percent}%)` +
    (info ? ` · ${info}` : "") +
    (state.seconds === undefined ? "" : ` · ${state.seconds.toFixed(1)} s`);
  return progressBarBundle(state.done, state.total, line);
}

/** Options of {@link progressLine}. */
export interface ProgressLineOptions {
  /** Units in all. */
  total: number;
  /** Name of a unit (default `"step"`). */
  unit?: string;
  /** Least milliseconds between two updates, except the first and the last (default 250). */
  intervalMs?: number;
  /** Where bundles go (default: `Deno.jupyter.display` in a notebook). */
  display?: BundleDisplay;
  /** Clock in milliseconds (injectable for tests). */
  now?: () => number;
}

/** A live progress line; see {@link progressLine}. */
export interface ProgressLine {
  /** Reports `done` units and the latest numbers; cheap, returns at once. */
  update(done: number, info?: Record<string, number | string>): void;
  /** Shows the final state (and prints it outside a notebook); resolves when shown. */
  end(info?: Record<string, number | string>): Promise<void>;
  /** The current state. */
  readonly state: ProgressState;
}

/**
 * A progress line updated in place. `update` is synchronous, so it can be a training callback.
 *
 * @example
 * ```ts
 * const progress = progressLine("baseline", { total: 23, unit: "pass" });
 * await trainLecun(gpu, [config], {
 *   onPass: (_, r) => progress.update(r.pass, { test_error: r.test.error }),
 * });
 * await progress.end();
 * ```
 */
export function progressLine(label: string, options: ProgressLineOptions): ProgressLine {
  if (!(Number.isFinite(options.total) && options.total >= 0)) {
    throw new RangeError(`progress total must be a number ≥ 0, got ${options.total}`);
  }
  const now = options.now ?? (() => performance.now());
  const output = new LiveDisplay({
    display: options.display,
    id: nextDisplayId("progress"),
    intervalMs: options.intervalMs ?? 250,
    now,
  });
  const start = now();
  const state: ProgressState = {
    label,
    done: 0,
    total: options.total,
    unit: options.unit ?? "step",
    seconds: 0,
    info: {},
  };
  return {
    state,
    update(done, info) {
      state.done = done;
      if (info) state.info = { ...state.info, ...info };
      state.seconds = (now() - start) / 1000;
      output.put(progressBundle({ ...state }), { force: done >= state.total });
    },
    async end(info) {
      if (info) state.info = { ...state.info, ...info };
      delete state.seconds;
      const bundle = progressBundle({ ...state });
      output.put(bundle, { force: true });
      if (!output.active) console.log(bundle["text/plain"]);
      await output.flush();
    },
  };
}
