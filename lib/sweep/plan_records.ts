/**
 * The records of one plan: a results directory belongs to one experiment and version, and
 * summaries and analyses take only the records the current plan asks for, each checked against
 * what it claims to be (experiment, version, and an id equal to the hash of its own config).
 * Everything else is reported, never mixed in; the runner moves records of another experiment
 * or version (and records whose id is not their config's hash) to `DIR/set-aside/`, and moves a
 * set-aside record back when a later plan asks for it, so nothing finished is lost.
 *
 * @module
 */

import type { Sweep } from "./define.ts";
import { trialId } from "./identity.ts";
import { joinPath } from "../io/paths.ts";
import { type PlannedTrial, planTrials } from "./plan.ts";
import { readTrialRecords, type TrialRecord, trialsDir } from "./store.ts";

/** A trial file that is not a record of this experiment and version, and why. */
export interface ForeignRecord {
  file: string;
  id: string;
  /** E.g. `version 1, not 2` or `its id is not the hash of its config`. */
  reason: string;
}

/** What {@link loadPlanRecords} found in a results directory. */
export interface PlanRecords {
  /** The plan's trials, in plan order. */
  planned: PlannedTrial[];
  /** Checked records of the plan's trials, by id. */
  records: Map<string, TrialRecord>;
  /**
   * Valid records of this experiment and version that the plan does not ask for (another
   * preset or grid): left where they are, never used.
   */
  outside: TrialRecord[];
  /** Records of another experiment or version, or whose id is not their config's hash. */
  foreign: ForeignRecord[];
  /** Trial files that are not valid records at all (they count as not run). */
  unreadable: { file: string; reason: string }[];
}

/** The folder of a results directory where foreign records are moved. */
export const SET_ASIDE_DIR = "set-aside";

/**
 * Reads `out/trials/` and sorts its records into the plan's own (checked: experiment, version,
 * id = hash of the record's config), records of this experiment and version outside the plan,
 * foreign and unreadable ones. Reads only; see {@link setAsideForeign} for moving foreign ones.
 * Analyses take `records` (never a whole directory) so that nothing foreign is mixed in.
 *
 * @example
 * ```ts
 * import { loadExperiment } from "./experiment.ts";
 * import { loadPlanRecords } from "./plan_records.ts";
 * const sweep = await loadExperiment("lecun1989-scaling");
 * const { records, foreign, outside } = await loadPlanRecords(sweep, "results/lecun1989-scaling", {
 *   preset: "cpu",
 * });
 * console.log(`${records.size} records of the plan; ${foreign.length + outside.length} others not used`);
 * ```
 */
export async function loadPlanRecords(
  sweep: Sweep,
  out: string,
  options: { preset?: string } = {},
): Promise<PlanRecords> {
  const planned = await planTrials(sweep, { preset: options.preset });
  const wanted = new Set(planned.map((trial) => trial.id));
  const stored = await readTrialRecords(out);
  const records = new Map<string, TrialRecord>();
  const outside: TrialRecord[] = [];
  const foreign: ForeignRecord[] = [];
  for (const record of stored.records.values()) {
    const reason = await identityProblem(sweep, record);
    const file = joinPath(trialsDir(out), `${record.id}.json`);
    if (reason !== null) foreign.push({ file, id: record.id, reason });
    else if (wanted.has(record.id)) records.set(record.id, record);
    else outside.push(record);
  }
  const ordered = new Map(
    planned.flatMap((trial) => records.has(trial.id) ? [[trial.id, records.get(trial.id)!]] : []),
  );
  return { planned, records: ordered, outside, foreign, unreadable: stored.unreadable };
}

/**
 * Why `record` is not a record of `sweep` (another experiment or version, or an id that is not
 * the hash of its config), or null when it is one.
 *
 * @example
 * ```ts
 * import { defineSweep } from "./define.ts";
 * import { identityProblem } from "./plan_records.ts";
 * import type { TrialRecord } from "./store.ts";
 * const sweep = defineSweep({ name: "s", version: 2, axes: { x: [1] }, run: () => ({}) });
 * declare const record: TrialRecord;
 * await identityProblem(sweep, record); // e.g. "version 1, not 2"
 * ```
 */
export async function identityProblem(sweep: Sweep, record: TrialRecord): Promise<string | null> {
  if (record.experiment !== sweep.name) {
    return `experiment ${JSON.stringify(record.experiment)}, not ${JSON.stringify(sweep.name)}`;
  }
  if (record.version !== sweep.version) return `version ${record.version}, not ${sweep.version}`;
  if (await trialId(record.experiment, record.version, record.config) !== record.id) {
    return "its id is not the hash of its config";
  }
  return null;
}

/**
 * Moves foreign trial files to `out/set-aside/` (a file that vanished meanwhile is skipped) and
 * returns that folder.
 *
 * @example
 * ```ts
 * import { setAsideForeign } from "./plan_records.ts";
 * await setAsideForeign("results/s", []); // "results/s/set-aside"
 * ```
 */
export async function setAsideForeign(
  out: string,
  foreign: readonly ForeignRecord[],
): Promise<string> {
  const dir = joinPath(out, SET_ASIDE_DIR);
  if (foreign.length > 0) await Deno.mkdir(dir, { recursive: true });
  for (const { file, id } of foreign) {
    await Deno.rename(file, joinPath(dir, `${id}.json`)).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
  return dir;
}

/**
 * Moves set-aside records whose ids the plan asks for back into `out/trials/` (unless a record
 * is already there); returns how many came back. The caller checks them like any record.
 *
 * @example
 * ```ts
 * import { restoreSetAside } from "./plan_records.ts";
 * await restoreSetAside("results/s", new Set(["3fa2c1d09e8b7a65"])); // 0
 * ```
 */
export async function restoreSetAside(out: string, ids: ReadonlySet<string>): Promise<number> {
  const dir = joinPath(out, SET_ASIDE_DIR);
  let restored = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      const id = entry.name.slice(0, -".json".length);
      if (!entry.isFile || !entry.name.endsWith(".json") || !ids.has(id)) continue;
      const target = joinPath(trialsDir(out), entry.name);
      if (await Deno.stat(target).then(() => true, () => false)) continue;
      await Deno.rename(joinPath(dir, entry.name), target);
      restored++;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return restored;
}

/**
 * One line on what a results directory held besides the plan's records, or null when nothing.
 *
 * @example
 * ```ts
 * import { describeOthers } from "./plan_records.ts";
 * describeOthers("results/s", { outside: [], foreign: [{ file: "f", id: "a", reason: "version 1, not 2" }] }, true);
 * // "results/s: 1 trial file of another experiment or version (1 version 1, not 2) moved to results/s/set-aside; not used"
 * ```
 */
export function describeOthers(
  out: string,
  found: Pick<PlanRecords, "outside" | "foreign">,
  moved: boolean,
): string | null {
  const parts: string[] = [];
  if (found.foreign.length > 0) {
    const reasons = new Map<string, number>();
    for (const { reason } of found.foreign) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    const detail = [...reasons].map(([reason, n]) => `${n} ${reason}`).join(", ");
    const n = found.foreign.length;
    parts.push(
      `${n} trial file${n === 1 ? "" : "s"} of another experiment or version (${detail}) ${
        moved ? `moved to ${joinPath(out, SET_ASIDE_DIR)}` : `in ${trialsDir(out)}`
      }`,
    );
  }
  if (found.outside.length > 0) {
    const n = found.outside.length;
    parts.push(
      `${n} record${
        n === 1 ? "" : "s"
      } of this experiment outside the plan (another preset or grid) left in ${trialsDir(out)}`,
    );
  }
  return parts.length === 0 ? null : `${out}: ${parts.join("; ")}; not used`;
}
