/**
 * The one way scalelab puts output into a Jupyter notebook on Deno's kernel: a
 * {@link LiveDisplay} shows a bundle once and then replaces it in place through its display id,
 * in call order, optionally throttled. `show`, live plots, progress lines and the sweep's
 * notebook progress all go through it. It imports nothing and sits in its own folder, below
 * the sweep engine and the notebook layer that both use it.
 *
 * @module
 */

/** A display bundle: MIME type → data, as `Deno.jupyter.display(bundle, { raw: true })` takes. */
export type MimeBundle = Record<string, unknown>;

/** The shape of `Deno.jupyter.display` used here (injectable for tests). */
export type BundleDisplay = (
  bundle: MimeBundle,
  options: { raw: true; display_id?: string; update?: boolean },
) => Promise<void> | void;

/** Milliseconds to wait after each display in Deno's kernel, plus one per 10 KB sent. */
const SETTLE_MS = 100;

/**
 * `Deno.jupyter.display` when running in Deno's Jupyter kernel, otherwise undefined. Each
 * display waits a moment after it is queued: Deno's kernel publishes displays from a queue
 * that the end of a cell does not wait for (in Deno 2.9 `cli/js/jupyter_kernel.js`, the
 * `iopubDrainer` races `handleExecute`'s idle status), so a large plot shown just before a
 * cell ends could be dropped by the frontend, or saved under the next cell.
 *
 * @example
 * ```ts
 * const inNotebook = notebookDisplay() !== undefined;
 * ```
 */
export function notebookDisplay(): BundleDisplay | undefined {
  let display: BundleDisplay | undefined;
  try {
    // Reading Deno.jupyter outside `deno jupyter` throws.
    const jupyter = (Deno as unknown as { jupyter?: { display?: BundleDisplay } }).jupyter;
    display = typeof jupyter?.display === "function" ? jupyter.display.bind(jupyter) : undefined;
  } catch {
    return undefined;
  }
  if (display === undefined) return undefined;
  const shown = display;
  return async (bundle, options) => {
    await shown(bundle, options);
    const size = Object.values(bundle).reduce<number>(
      (n, v) => n + (typeof v === "string" ? v.length : JSON.stringify(v).length),
      0,
    );
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS + size / 10_000));
  };
}

let displayCount = 0;

/**
 * A fresh display id, `scalelab-N` (counting up per process, so a rerun numbers its outputs the
 * same way).
 *
 * @example
 * ```ts
 * nextDisplayId("progress"); // "scalelab-progress-1"
 * ```
 */
export function nextDisplayId(kind = "output"): string {
  return `scalelab-${kind}-${++displayCount}`;
}

/** Options of {@link LiveDisplay}. */
export interface LiveDisplayOptions {
  /** Where bundles go (default: `Deno.jupyter.display`; nothing outside a notebook). */
  display?: BundleDisplay;
  /** Display id (default: {@link nextDisplayId}). */
  id?: string;
  /** Least milliseconds between two updates, unless forced (default 0: every update). */
  intervalMs?: number;
  /** Clock in milliseconds (injectable for tests). */
  now?: () => number;
  /** The output with this id is already shown: the first put replaces it. */
  existing?: boolean;
}

/**
 * What a {@link LiveDisplay} shows: a bundle, or a function making one when its turn comes
 * (returning undefined when there is nothing new to show).
 */
export type BundleSource =
  | MimeBundle
  | (() => MimeBundle | undefined | Promise<MimeBundle | undefined>);

/**
 * One notebook output, added by the first {@link LiveDisplay.put} and replaced in place by later
 * ones, in call order. Puts within `intervalMs` of the last one shown are skipped unless forced.
 *
 * @example
 * ```ts
 * const out = new LiveDisplay({ intervalMs: 250 });
 * out.put({ "text/plain": "step 1" });
 * out.put({ "text/plain": "done" }, { force: true });
 * await out.flush();
 * ```
 */
export class LiveDisplay {
  /** The display id of the output. */
  readonly id: string;
  /** False outside a notebook (and without an injected display): puts do nothing. */
  readonly active: boolean;
  readonly #display?: BundleDisplay;
  readonly #interval: number;
  readonly #now: () => number;
  #shown: boolean;
  #last = -Infinity;
  #queue: Promise<void> = Promise.resolve();
  #error: unknown;

  constructor(options: LiveDisplayOptions = {}) {
    this.#display = options.display ?? notebookDisplay();
    this.active = this.#display !== undefined;
    this.id = options.id ?? nextDisplayId();
    this.#interval = options.intervalMs ?? 0;
    this.#now = options.now ?? (() => performance.now());
    this.#shown = options.existing ?? false;
  }

  /** Shows `source` after what is being shown (skipped when throttled, unless forced). */
  put(source: BundleSource, options: { force?: boolean } = {}): void {
    const display = this.#display;
    if (!display) return;
    if (!options.force && this.#last > -Infinity && this.#now() - this.#last < this.#interval) {
      return;
    }
    this.#last = this.#now();
    this.#queue = this.#queue.then(async () => {
      try {
        const bundle = typeof source === "function" ? await source() : source;
        if (bundle === undefined) return;
        const update = this.#shown;
        this.#shown = true;
        await display(bundle, { raw: true, display_id: this.id, update });
      } catch (error) {
        this.#error ??= error;
      }
    });
  }

  /** Resolves once every put so far is shown; rejects with the first error met. */
  async flush(): Promise<void> {
    await this.#queue;
    if (this.#error !== undefined) throw this.#error;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A progress bar bundle: `line` as plain text, and as HTML after a `<progress>` bar of
 * `done`/`total`, with `details` (e.g. the running trials) listed under it.
 *
 * @example
 * ```ts
 * progressBarBundle(3, 23, "baseline: pass 3/23");
 * // { "text/plain": "baseline: pass 3/23", "text/html": "<div …><progress value=\"3\" max=\"23\" …" }
 * ```
 */
export function progressBarBundle(
  done: number,
  total: number,
  line: string,
  details: readonly string[] = [],
): Record<string, string> {
  const max = Math.max(total, 1);
  const list = details.map((item) => `<li>${escapeHtml(item)}</li>`).join("");
  const html = `<div style="font-family: monospace">` +
    `<progress value="${Math.min(done, max)}" max="${max}" style="width: 16em"></progress> ` +
    escapeHtml(line) + (list ? `<ul style="margin: 0.2em 0">${list}</ul>` : "") + `</div>`;
  return { "text/plain": line, "text/html": html };
}
