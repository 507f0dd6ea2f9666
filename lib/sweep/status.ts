/**
 * Where a sweep stands without running anything (`--dry-run`): every trial of this share with
 * its id and status.
 *
 * @module
 */

import type { Sweep } from "./define.ts";
import type { Config, JsonValue } from "./json.ts";
import { planTrials } from "./plan.ts";
import { describeOthers, loadPlanRecords } from "./plan_records.ts";
import { defaultResultsDir } from "./runner.ts";
import { formatShard, selectShard, type Shard } from "./shard.ts";

/** A trial's state on disk: `done` (recorded ok), `failed`, `diverged` or `pending`. */
export type TrialState = "done" | "failed" | "diverged" | "pending";

/** The trials of a sweep (or of one shard) and their states. */
export interface SweepStatus {
  experiment: string;
  version: string;
  out: string;
  shard: Shard | null;
  /** Trials in the whole sweep, before sharding. */
  sweepSize: number;
  trials: { id: string; state: TrialState; config: Config }[];
  /** One line on trial files that are not the plan's (not used), or null. */
  others: string | null;
}

/**
 * Plans the sweep and reads the results directory, running nothing.
 *
 * @example
 * ```ts
 * import { defineSweep } from "./define.ts";
 * import { sweepStatus } from "./status.ts";
 * const sweep = defineSweep({ name: "s", version: 1, axes: { x: [1, 2] }, run: () => ({}) });
 * const status = await sweepStatus(sweep, { out: "/tmp/s-results" });
 * status.trials.map((t) => t.state); // ["pending", "pending"] on a fresh directory
 * ```
 */
export async function sweepStatus(
  sweep: Sweep,
  options: {
    out?: string;
    preset?: string;
    axes?: Readonly<Record<string, readonly JsonValue[]>>;
    shard?: Shard;
  } = {},
): Promise<SweepStatus> {
  const out = options.out ?? defaultResultsDir(sweep);
  const planned = await planTrials(sweep, { preset: options.preset, axes: options.axes });
  const mine = options.shard ? selectShard(planned, options.shard) : planned;
  const found = await loadPlanRecords(sweep, out, { preset: options.preset });
  const records = found.records;
  return {
    experiment: sweep.name,
    version: sweep.version,
    out,
    shard: options.shard ?? null,
    sweepSize: planned.length,
    trials: mine.map(({ id, config }) => {
      const status = records.get(id)?.status;
      return {
        id,
        config,
        state: status === undefined ? "pending" : status === "ok" ? "done" : status,
      };
    }),
    others: describeOthers(out, found, false),
  };
}

/**
 * The `--dry-run` listing: a header line with counts, then one line per trial
 * (`id  state  config-json`).
 *
 * @example
 * ```ts
 * import { formatStatus } from "./status.ts";
 * formatStatus({ experiment: "s", version: "1", out: "results/s", shard: null, sweepSize: 0, trials: [], others: null });
 * ```
 */
export function formatStatus(status: SweepStatus): string {
  const count = (state: TrialState) => status.trials.filter((t) => t.state === state).length;
  const share = status.shard
    ? `${status.trials.length} of ${status.sweepSize} trials in shard ${formatShard(status.shard)}`
    : `${status.trials.length} trials`;
  const header = `${status.experiment} v${status.version} -> ${status.out}: ${share}: ` +
    `${count("done")} done, ${count("failed")} failed, ${count("diverged")} diverged, ` +
    `${count("pending")} pending`;
  const rows = status.trials.map((t) =>
    `${t.id}  ${t.state.padEnd(8)}  ${JSON.stringify(t.config)}`
  );
  return [
    header,
    ...(status.others ? [status.others] : []),
    `${"id".padEnd(16)}  ${"status".padEnd(8)}  config`,
    ...rows,
  ].join("\n");
}
