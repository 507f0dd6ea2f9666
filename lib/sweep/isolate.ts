/**
 * Trials in a child process: a worker slot of the runner keeps one long-lived child (an
 * "isolate") that loads the experiment once and runs trial after trial, so its WebGPU device
 * and compiled pipelines are reused. A trial that hangs without yielding, crashes or exhausts
 * its heap takes only the child down: the parent kills it at the timeout or on a signal,
 * records the trial as failed with the reason, and starts a fresh child for the next trial.
 * (A V8 heap exhaustion aborts the whole process, Workers included, so a Worker would not do.)
 *
 * Protocol: one JSON message per line; the child's protocol lines on stdout start with
 * {@link MARK} (anything else a trial prints is passed to stderr). Parent → child:
 * `{"type":"run","trials":[{id,config}],"packed":bool,"gitCommit":…,"plan":…}`. Child →
 * parent: `ready` once loaded, `report` per `ctx.report`, `record` per finished trial, `done`
 * per batch, `fatal` when the experiment cannot be loaded. The child ignores SIGINT and SIGTERM
 * (the parent decides what an interrupt means) and exits when its stdin closes.
 *
 * @module
 */

import type { ReportedMetrics, Sweep, SweepDevice } from "./define.ts";
import { firstLine } from "./errors.ts";
import { decodeNonFinite, stringifyKeepingNonFinite } from "./json.ts";
import type { PlannedTrial } from "./plan.ts";
import {
  type HistoryPoint,
  parseTrialRecord,
  type TrialPlanNote,
  type TrialRecord,
} from "./store.ts";
import {
  type BatchEnvironment,
  executeBatch,
  memoizedDescription,
  memoizedDevice,
} from "./trial.ts";

/** First character of every protocol line the child writes on stdout. */
export const MARK = "\u001e";

/** How to start an isolate: a deno command line whose module calls {@link serveIsolate}. */
export interface IsolateCommand {
  /** The program: a deno binary (`Deno.execPath()`). */
  command: string;
  /** Its arguments: `run`, the child's permission flags, the entry module, its arguments. */
  args: readonly string[];
  /** The child's V8 heap limit in MB when one was set (named in the out-of-memory reason). */
  heapMb?: number;
}

type ToChild = {
  type: "run";
  trials: PlannedTrial[];
  packed: boolean;
  gitCommit: string | null;
  plan?: TrialPlanNote;
};
type FromChild =
  | { type: "ready" }
  | { type: "fatal"; message: string }
  | { type: "report"; id: string; step: number; seconds: number; metrics: ReportedMetrics }
  | { type: "record"; id: string; record: string }
  | { type: "done" };

/** What the parent lends a batch run in an isolate. */
export interface IsolatedBatchEnvironment
  extends Omit<BatchEnvironment, "device" | "describeAdapter"> {
  /** The sweep's name and version, for the records made here of trials the child lost. */
  experiment: string;
  version: string;
}

/**
 * One worker slot's child process, started on first use and restarted after it was killed or
 * died.
 *
 * @example
 * ```ts
 * import { IsolatedSlot } from "./isolate.ts";
 * const slot = new IsolatedSlot({
 *   command: Deno.execPath(),
 *   args: ["run", "--no-prompt", "--allow-read", "lib/cli/sweep_isolate.ts", "experiments/example-quadratic.ts"],
 * });
 * // await slot.runBatch(trials, false, env); ...
 * await slot.close();
 * ```
 */
export class IsolatedSlot {
  readonly #command: IsolateCommand;
  #child: Deno.ChildProcess | null = null;
  #messages: AsyncIterator<FromChild> | null = null;
  #exited: Promise<string> | null = null;
  #stderrTail: string[] = [];

  constructor(command: IsolateCommand) {
    this.#command = command;
  }

  /**
   * Runs a batch in the child (see `executeBatch`): each finished trial's record goes to
   * `env.onRecord`; a trial the child could not finish (timeout, crash, out of memory) gets a
   * failed record made here from what it reported; on `env.abandon` the child is killed and
   * unfinished trials stay unrecorded. Throws only when the child cannot start or load the
   * experiment at all.
   */
  async runBatch(
    trials: readonly PlannedTrial[],
    packed: boolean,
    env: IsolatedBatchEnvironment,
  ): Promise<void> {
    if (env.abandon.aborted) return;
    await this.#start();
    const started = performance.now();
    const startedAt = new Date().toISOString();
    const open = new Map(trials.map((trial) => [trial.id, {
      trial,
      history: [] as HistoryPoint[],
      last: {} as ReportedMetrics,
    }]));
    const message: ToChild = {
      type: "run",
      trials: [...trials],
      packed,
      gitCommit: env.gitCommit,
      ...(env.plan ? { plan: env.plan } : {}),
    };
    await this.#send(message);

    let timer: ReturnType<typeof setTimeout> | undefined;
    const interrupted = new Promise<"timeout" | "abandoned">((resolve) => {
      if (env.timeoutSeconds !== undefined) {
        timer = setTimeout(() => resolve("timeout"), env.timeoutSeconds * 1000);
      }
      env.abandon.addEventListener("abort", () => resolve("abandoned"), { once: true });
    });
    let ending: "done" | "exited" | "timeout" | "abandoned" = "done";
    try {
      for (;;) {
        const next = await Promise.race([this.#messages!.next(), interrupted]);
        if (next === "timeout" || next === "abandoned") {
          ending = next;
          break;
        }
        if (next.done) {
          ending = "exited";
          break;
        }
        const msg = next.value;
        if (msg.type === "report") {
          const member = open.get(msg.id);
          if (!member) continue;
          const metrics = decodeNonFinite(msg.metrics);
          member.history.push({ step: msg.step, seconds: msg.seconds, metrics });
          member.last = metrics;
          env.onReport?.(msg.id, msg.step, metrics);
        } else if (msg.type === "record") {
          if (!open.has(msg.id)) continue;
          const record = parseTrialRecord(msg.record, msg.id);
          if (typeof record === "string") throw new Error(`isolate sent a bad record: ${record}`);
          open.delete(msg.id);
          await env.onRecord(record);
        } else if (msg.type === "done") {
          break;
        }
      }
    } finally {
      clearTimeout(timer);
    }
    if (ending === "done" && open.size === 0) return;
    if (ending === "abandoned") {
      await this.#kill();
      return;
    }
    const reason = ending === "timeout"
      ? `timed out after ${env.timeoutSeconds} s`
      : ending === "done"
      ? "the trial's process finished its batch without recording this trial"
      : await this.#exitReason();
    await this.#kill();
    const wallSeconds = (performance.now() - started) / 1000;
    for (const { trial, history, last } of open.values()) {
      await env.onRecord({
        id: trial.id,
        experiment: env.experiment,
        version: env.version,
        config: trial.config,
        status: "failed",
        metrics: last,
        history,
        adapter: "unknown",
        wallSeconds,
        gitCommit: env.gitCommit,
        startedAt,
        endedAt: new Date().toISOString(),
        error: { message: reason, stack: null },
        ...(env.plan ? { plan: env.plan } : {}),
      });
    }
  }

  /** Stops the child (it exits when its stdin closes; killed if it does not). */
  async close(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    try {
      await child.stdin.close();
    } catch { /* already closed */ }
    const exited = this.#exited!;
    const timer = setTimeout(() => this.#kill(), 2000);
    await exited;
    clearTimeout(timer);
    this.#child = null;
  }

  async #start(): Promise<void> {
    if (this.#child) return;
    const child = new Deno.Command(this.#command.command, {
      args: [...this.#command.args],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#stderrTail = [];
    this.#messages = protocolMessages(child.stdout);
    void this.#pumpStderr(child.stderr);
    this.#exited = child.status.then((status) => {
      // A child that ended between batches is replaced on the next one.
      if (this.#child === child) this.#child = null;
      return status.signal ? `signal ${status.signal}` : `exit code ${status.code}`;
    });
    const first = await this.#messages.next();
    if (first.done || first.value.type !== "ready") {
      const why = first.done
        ? `it ended (${await this.#exitReason()})`
        : first.value.type === "fatal"
        ? first.value.message
        : `it sent ${first.value.type} before ready`;
      await this.#kill();
      throw new Error(`cannot start a trial process: ${why}`);
    }
  }

  async #send(message: ToChild): Promise<void> {
    const writer = this.#child!.stdin.getWriter();
    try {
      await writer.write(new TextEncoder().encode(stringifyKeepingNonFinite(message) + "\n"));
    } finally {
      writer.releaseLock();
    }
  }

  async #kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = null;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await child.stdin.close().catch(() => {});
  }

  /** Why the child ended, from its exit status and its last words on stderr. */
  async #exitReason(): Promise<string> {
    const status = await Promise.race([
      this.#exited!,
      new Promise<string>((resolve) => setTimeout(() => resolve("no exit yet"), 2000)),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 20)); // let stderr drain
    const tail = this.#stderrTail.join("\n");
    if (/out of memory|heap limit|allocation failed/i.test(tail)) {
      const limit = this.#command.heapMb ? ` (limit ${this.#command.heapMb} MB)` : "";
      return `the trial's process ran out of JavaScript heap${limit}: ${status}`;
    }
    const said = this.#stderrTail.filter((l) => l.trim() !== "" && !isFatalDump(l)).at(-1);
    return `the trial's process died (${status})${said ? `: ${said.trim()}` : ""}`;
  }

  async #pumpStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
    let dumping = false;
    for await (const line of lines(stream)) {
      this.#stderrTail.push(line);
      if (this.#stderrTail.length > 40) this.#stderrTail.shift();
      // V8's fatal-error dump (C stack trace) is summarized in the trial record instead.
      if (/^#\s*Fatal|^<--- Last few GCs/.test(line)) dumping = true;
      if (dumping || isFatalDump(line)) continue;
      writeStderr(line + "\n");
    }
  }
}

function isFatalDump(line: string): boolean {
  return /^#|^==== |^\s+\/.+\(\+0x[0-9a-f]+\)/.test(line);
}

function writeStderr(text: string): void {
  try {
    const bytes = new TextEncoder().encode(text);
    for (let written = 0; written < bytes.length;) {
      written += Deno.stderr.writeSync(bytes.subarray(written));
    }
  } catch { /* stderr closed: nothing to tell */ }
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf("\n")) !== -1) {
      yield buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
    }
  }
  if (buffer !== "") yield buffer;
}

async function* protocolMessages(stream: ReadableStream<Uint8Array>): AsyncGenerator<FromChild> {
  for await (const line of lines(stream)) {
    if (line.startsWith(MARK)) yield JSON.parse(line.slice(MARK.length)) as FromChild;
    else writeStderr(line + "\n");
  }
}

/**
 * The child side: serves `run` messages from stdin with `executeBatch`, one batch at a time,
 * until stdin closes. Trials' own console output goes to stderr.
 *
 * @example
 * ```ts
 * import { loadExperiment } from "./experiment.ts";
 * import { serveIsolate } from "./isolate.ts";
 * await serveIsolate(() => loadExperiment(Deno.args[0]), {});
 * ```
 */
export async function serveIsolate(
  load: () => Promise<Sweep>,
  options: {
    acquireDevice?: () => Promise<SweepDevice>;
    describeAdapter?: () => string | Promise<string>;
  },
): Promise<void> {
  Deno.addSignalListener("SIGINT", () => {});
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", () => {});
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
  const send = (message: FromChild) => {
    const bytes = new TextEncoder().encode(MARK + stringifyKeepingNonFinite(message) + "\n");
    for (let written = 0; written < bytes.length;) {
      written += Deno.stdout.writeSync(bytes.subarray(written));
    }
  };
  let sweep: Sweep;
  try {
    sweep = await load();
  } catch (error) {
    send({ type: "fatal", message: firstLine(error) });
    return;
  }
  const acquire = memoizedDevice(options.acquireDevice);
  const describe = memoizedDescription(options.describeAdapter);
  send({ type: "ready" });
  const never = new AbortController().signal;
  for await (const line of lines(Deno.stdin.readable)) {
    if (line.trim() === "") continue;
    const message = JSON.parse(line) as ToChild;
    const start = performance.now();
    await executeBatch(sweep, message.trials, {
      abandon: never,
      device: acquire,
      describeAdapter: describe,
      gitCommit: message.gitCommit,
      plan: message.plan,
      onReport: (id, step, metrics) =>
        send({ type: "report", id, step, seconds: (performance.now() - start) / 1000, metrics }),
      onRecord: (record: TrialRecord) =>
        send({ type: "record", id: record.id, record: stringifyKeepingNonFinite(record) }),
    }, message.packed);
    send({ type: "done" });
  }
  Deno.exit(0);
}
