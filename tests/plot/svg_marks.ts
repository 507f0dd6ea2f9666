/**
 * Reading a Vega SVG back for tests: how many items each data mark drew.
 *
 * @module
 */

/** One drawn mark group: its mark type (`symbol`, `line`, ...), Vega name, and item count. */
export interface MarkGroup {
  type: string;
  name: string;
  items: number;
}

/** Every `role-mark` group in a Vega SVG, in document order (legends and axes excluded). */
export function markGroups(svg: string): MarkGroup[] {
  const groups: MarkGroup[] = [];
  const opening = /<g class="mark-(\w+) role-mark ?([^"]*)"[^>]*>/g;
  for (const match of svg.matchAll(opening)) {
    const start = match.index! + match[0].length;
    const body = svg.slice(start, svg.indexOf("</g>", start));
    const items = body.match(/<(path|line|rect|text)\b/g)?.length ?? 0;
    groups.push({ type: match[1], name: match[2], items });
  }
  return groups;
}

/** Total items of one mark type, optionally only in groups whose name contains `layer`. */
export function countItems(svg: string, type: string, layer = ""): number {
  return markGroups(svg)
    .filter((group) => group.type === type && group.name.includes(layer))
    .reduce((sum, group) => sum + group.items, 0);
}

/** Number of groups of one mark type (e.g. one `line` group per drawn series). */
export function countGroups(svg: string, type: string, layer = ""): number {
  return markGroups(svg).filter((group) => group.type === type && group.name.includes(layer))
    .length;
}
