/**
 * Sharding: `--shard I/N` splits a sweep's trials among N independent processes (Slurm array
 * tasks, Kubernetes Indexed Job pods) with no coordinator.
 *
 * @module
 */

/** Shard `index` of `count` (0 ≤ index < count). */
export interface Shard {
  index: number;
  count: number;
}

/**
 * Parses `I/N` as given to `--shard`; throws a one-line error on anything else.
 *
 * @example
 * ```ts
 * import { parseShard } from "./shard.ts";
 * parseShard("2/8"); // { index: 2, count: 8 }
 * ```
 */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || !Number.isSafeInteger(count) || count < 1 || index >= count) {
    throw new Error(
      `bad --shard "${text}": expected I/N with integers 0 <= I < N, e.g. 0/4 for the first of 4`,
    );
  }
  return { index, count };
}

/**
 * The trials that belong to `shard`: trials are ranked by id and rank r goes to shard r mod N,
 * so shards are disjoint, cover every trial, differ in size by at most one, and agree across
 * machines without talking to each other. List order is kept.
 *
 * @example
 * ```ts
 * import { selectShard } from "./shard.ts";
 * const trials = [{ id: "c" }, { id: "a" }, { id: "b" }];
 * selectShard(trials, { index: 0, count: 2 }); // [{ id: "a" }, { id: "c" }]
 * ```
 */
export function selectShard<T extends { id: string }>(trials: T[], shard: Shard): T[] {
  const ranked = trials.map((trial) => trial.id).sort();
  const mine = new Set(ranked.filter((_, rank) => rank % shard.count === shard.index));
  return trials.filter((trial) => mine.has(trial.id));
}

/**
 * `I/N` as written on the command line.
 *
 * @example
 * ```ts
 * import { formatShard } from "./shard.ts";
 * formatShard({ index: 1, count: 3 }); // "1/3"
 * ```
 */
export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}
