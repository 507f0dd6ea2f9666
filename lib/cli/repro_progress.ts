/**
 * Progress of `deno task repro` on stderr: on a terminal one live line with each training
 * group's pass and ETA and the runs done so far; off a terminal (logs, CI) one line per pass of
 * each run, as plain text.
 *
 * @module
 */
import type { LecunConfig } from "../lecun/config.ts";
import type { PassRecord } from "../lecun/run.ts";
import { formatDuration, STATUS_COLUMNS } from "../sweep/progress.ts";

/** Where progress goes: a line writer, and whether it is a live terminal line. */
export interface ReproOutput {
  write(text: string): void;
  terminal: boolean;
  columns(): number;
}

interface Group {
  label: string;
  runs: number;
  passes: number;
  pass: number;
  /** Seconds of training at the last pass (compilation excluded). */
  seconds: number;
  testError?: number;
}

/**
 * The repro progress display.
 *
 * @example
 * ```ts
 * import { ReproProgress } from "./repro_progress.ts";
 * const progress = new ReproProgress(2, { write: (t) => console.error(t), terminal: false, columns: () => 100 });
 * ```
 */
export class ReproProgress {
  readonly #groups = new Map<string, Group>();
  readonly #total: number;
  readonly #output: ReproOutput;
  #done = 0;

  constructor(totalRuns: number, output: ReproOutput = stderrOutput()) {
    this.#total = totalRuns;
    this.#output = output;
  }

  /** A group of runs trained in one dispatch starts (its kernels compile first). */
  groupStarted(key: string, configs: readonly LecunConfig[]): void {
    const names = [...new Set(configs.map((c) => c.variant))].join("+");
    this.#groups.set(key, {
      label: `${names} ×${configs.length}`,
      runs: configs.length,
      passes: configs[0].passes,
      pass: -1,
      seconds: 0,
    });
    if (this.#output.terminal) this.#draw();
    else {
      this.#output.write(
        `${names}: ${configs.length} run(s) in one dispatch; compiling kernels (cached after the first time)...\n`,
      );
    }
  }

  /** One run finished a pass (pass 0 is the initialization). */
  pass(key: string, config: LecunConfig, record: PassRecord): void {
    const group = this.#groups.get(key);
    if (group) {
      group.pass = record.pass;
      group.seconds = record.seconds;
      group.testError = record.test.error;
    }
    if (this.#output.terminal) {
      this.#draw();
      return;
    }
    const tag = `${config.variant} seed ${config.seed}`;
    const where = record.pass === 0 ? "init" : `pass ${record.pass}/${config.passes}`;
    this.#output.write(
      `${tag.padEnd(22)} ${where.padEnd(12)} train ${
        record.train.error.toFixed(2)
      }% (${record.train.misses}) ` +
        `loss ${record.train.loss.toExponential(3)}  test ${
          record.test.error.toFixed(2)
        }% (${record.test.misses})  ` +
        `${record.seconds.toFixed(1)} s\n`,
    );
  }

  /** A group's runs are done and written. */
  groupDone(key: string): void {
    this.#done += this.#groups.get(key)?.runs ?? 0;
    this.#groups.delete(key);
    if (this.#output.terminal) this.#draw();
  }

  /** Ends the live line (a newline after it). */
  finish(): void {
    if (this.#output.terminal) this.#output.write("\n");
  }

  /** The live line's text, at most `width` characters. */
  line(width = STATUS_COLUMNS): string {
    const parts = [`runs ${this.#done}/${this.#total}`];
    for (const group of this.#groups.values()) {
      if (group.pass < 0) {
        parts.push(`${group.label}: compiling`);
        continue;
      }
      const eta = group.pass > 0
        ? ` ETA ${formatDuration((group.seconds / group.pass) * (group.passes - group.pass))}`
        : "";
      const test = group.testError === undefined ? "" : ` test ${group.testError.toFixed(2)}%`;
      parts.push(`${group.label}: pass ${group.pass}/${group.passes}${test}${eta}`);
    }
    const text = parts.join(" | ");
    return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
  }

  #draw(): void {
    const width = Math.max(Math.min(this.#output.columns() - 1, STATUS_COLUMNS), 40);
    this.#output.write(`\r\x1b[2K${this.line(width)}`);
  }
}

function stderrOutput(): ReproOutput {
  const encoder = new TextEncoder();
  return {
    terminal: Deno.stderr.isTerminal(),
    write(text) {
      const bytes = encoder.encode(text);
      for (let written = 0; written < bytes.length;) {
        written += Deno.stderr.writeSync(bytes.subarray(written));
      }
    },
    columns() {
      try {
        return Deno.consoleSize().columns || STATUS_COLUMNS;
      } catch {
        return STATUS_COLUMNS;
      }
    },
  };
}
