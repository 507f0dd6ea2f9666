/**
 * Sweep progress in a Jupyter notebook on Deno's kernel: one output updated in place, through
 * the notebook layer's one display path (`LiveDisplay`, throttled to four updates a second).
 *
 * @module
 */

import {
  type BundleDisplay,
  LiveDisplay,
  nextDisplayId,
  notebookDisplay,
  progressBarBundle,
} from "../jupyter/display.ts";
import {
  describeConfig,
  type ProgressEvent,
  type ProgressSink,
  ProgressTracker,
  STATUS_COLUMNS,
  statusLine,
} from "./progress.ts";

/** The shape of `Deno.jupyter.display` this display needs (injectable for tests). */
export type DisplayFunction = (
  bundle: Record<string, string>,
  options: { raw: true; display_id: string; update: boolean },
) => Promise<void> | void;

/** Updates at most this often, except when the sweep ends. */
const UPDATE_MS = 250;

/**
 * A progress output in a notebook cell, updated in place.
 *
 * @example
 * ```ts
 * import { NotebookProgress } from "./progress_notebook.ts";
 * const shown: string[] = [];
 * const sink = new NotebookProgress((bundle) => { shown.push(String(bundle["text/plain"])); });
 * sink.handle({ type: "trial-start", id: "ab12", config: { lr: 0.1 } });
 * await sink.flush();
 * ```
 */
export class NotebookProgress implements ProgressSink {
  readonly tracker: ProgressTracker;
  readonly #output: LiveDisplay;

  constructor(display: DisplayFunction, now: () => number = () => performance.now()) {
    this.tracker = new ProgressTracker(now);
    // Its bundles are text only: plain and HTML.
    const show: BundleDisplay = (bundle, options) =>
      display(bundle as Record<string, string>, {
        raw: true,
        display_id: options.display_id!,
        update: options.update ?? false,
      });
    this.#output = new LiveDisplay({
      display: show,
      id: nextDisplayId("sweep"),
      intervalMs: UPDATE_MS,
      now,
    });
  }

  /** The display id of the progress output. */
  get displayId(): string {
    return this.#output.id;
  }

  handle(event: ProgressEvent): void {
    this.tracker.handle(event);
    const force = event.type === "sweep-end" || event.type === "interrupt";
    this.#output.put(() => this.#bundle(), { force });
  }

  /** Resolves once everything handled so far is shown (a display error is not re-thrown). */
  flush(): Promise<void> {
    return this.#output.flush().catch(() => {});
  }

  #bundle(): Record<string, string> {
    const tracker = this.tracker;
    const running = [...tracker.running].map(([id, trial]) =>
      `${id.slice(0, 8)} ${describeConfig(trial.config)}` +
      (trial.step === undefined ? "" : ` — step ${trial.step}`)
    );
    // The finished line keeps no duration, so a notebook rerun saves the same output.
    const line = statusLine(tracker, STATUS_COLUMNS, { elapsed: false });
    return progressBarBundle(tracker.done, tracker.total, line, running);
  }
}

/**
 * `Deno.jupyter.display` when running in Deno's Jupyter kernel, otherwise undefined.
 *
 * @example
 * ```ts
 * import { jupyterDisplay } from "./progress_notebook.ts";
 * jupyterDisplay(); // undefined outside a notebook
 * ```
 */
export const jupyterDisplay: () => DisplayFunction | undefined = notebookDisplay as () =>
  | DisplayFunction
  | undefined;
