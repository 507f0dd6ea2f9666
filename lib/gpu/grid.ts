/**
 * One-dimensional launches over any number of items, folded into two grid dimensions when the
 * workgroup count exceeds the per-dimension limit.
 *
 * @module
 */

/** Largest workgroup count used along x before folding into y. */
export const MAX_GROUPS_X = 65535;

/**
 * Workgroup counts covering `items` work items with `perGroup` items per workgroup.
 *
 * @example
 * ```ts
 * grid1d(1_000_000, 256); // [3907, 1]
 * ```
 */
export function grid1d(items: number, perGroup: number): [number, number] {
  const groups = Math.ceil(items / perGroup);
  if (groups <= MAX_GROUPS_X) return [groups, 1];
  return [MAX_GROUPS_X, Math.ceil(groups / MAX_GROUPS_X)];
}

/**
 * WGSL expression for the flat workgroup index of a {@link grid1d} launch; needs the builtin
 * `@builtin(workgroup_id) wg: vec3u` in scope.
 */
export const FLAT_GROUP = `(wg.y * ${MAX_GROUPS_X}u + wg.x)`;
