/**
 * Counting a Vega SVG's drawn data marks for tests, from `readMarks` (the reader that
 * `checkVisibleMarks` uses).
 *
 * @module
 */
import { readMarks } from "../../lib/plot/marks.ts";

/** Total items of one mark type, optionally only in groups whose name contains `layer`. */
export function countItems(svg: string, type: string, layer = ""): number {
  return readMarks(svg).groups
    .filter((group) => group.type === type && group.name.includes(layer))
    .reduce((sum, group) => sum + group.items, 0);
}

/** Number of groups of one mark type (e.g. one `line` group per drawn series). */
export function countGroups(svg: string, type: string, layer = ""): number {
  return readMarks(svg).groups.filter((group) => group.type === type && group.name.includes(layer))
    .length;
}
