/**
 * Reading a rendered Vega SVG back: which data marks it drew, in which panel, and whether each
 * panel shows at least one visible mark inside its data area. An empty-looking chart (a log
 * axis fed a zero collapses every line onto the frame; a filter that drops every row; a data
 * file that failed to load) fails {@link checkVisibleMarks}.
 *
 * A mark item counts as visible when it has a stroke or fill that is not transparent and some
 * point of it (a vertex, a segment's midpoint, a symbol's centre) lies strictly inside its
 * panel's data rectangle (more than half a pixel from the frame).
 *
 * @module
 */

/** One drawn data-mark group: its mark type (`symbol`, `line`, ...), Vega name and items. */
export interface MarkGroup {
  /** Mark type: `symbol`, `line`, `area`, `rect`, `rule`, `text`, ... */
  type: string;
  /** The Vega mark name (e.g. `layer_1_marks`, `concat_0_layer_2_marks`). */
  name: string;
  /** Items drawn. */
  items: number;
  /** Items drawn visibly inside the panel's data area. */
  visible: number;
  /** Index of the panel (data rectangle) it is drawn in, in document order. */
  panel: number;
}

/** One data rectangle (a single view, or one panel of a concatenated or faceted figure). */
export interface PanelMarks {
  /** Width and height of the data area. */
  width: number;
  height: number;
  /** Data-mark items drawn in it, and how many of them are visible inside it. */
  items: number;
  visible: number;
}

/** What {@link readMarks} found. */
export interface SvgMarks {
  groups: MarkGroup[];
  panels: PanelMarks[];
}

interface Frame {
  /** Absolute offset of this element's coordinate system. */
  x: number;
  y: number;
  /** Index into the panels of the nearest enclosing data rectangle, or -1. */
  panel: number;
  /** The data-mark group this element draws in, if any. */
  group?: MarkGroup;
  /** Inside an axis, legend or title: nothing here is a data mark or a panel. */
  guide: boolean;
  /** A `role-frame` or `role-scope` group mark: its items are (possibly new) panels. */
  scope?: boolean;
  /** An item of such a group mark: its background rectangle gives the panel's size. */
  item?: boolean;
}

interface Panel extends PanelMarks {
  x: number;
  y: number;
}

const TAG = /<(\/?)([a-zA-Z]+)((?:[^>"'/]|\/(?!>)|"[^"]*"|'[^']*')*)(\/?)>/g;
const ATTRIBUTE = /([a-zA-Z_:][\w:.-]*)="([^"]*)"/g;

function attributes(text: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [, name, value] of text.matchAll(ATTRIBUTE)) found[name] = value;
  return found;
}

function translation(transform: string | undefined): [number, number] {
  const match = transform?.match(/translate\(\s*([-\d.e]+)[ ,]+([-\d.e]+)\s*\)/);
  return match ? [Number(match[1]), Number(match[2])] : [0, 0];
}

/** Absolute points of an SVG path (vertices, arc and curve end points, segment midpoints). */
export function pathPoints(d: string): [number, number][] {
  const points: [number, number][] = [];
  const tokens = d.match(/[a-zA-Z]|[-+]?(?:\d*\.\d+|\d+\.?)(?:e[-+]?\d+)?/g) ?? [];
  let x = 0, y = 0, startX = 0, startY = 0, command = "";
  const counts: Record<string, number> = { m: 2, l: 2, h: 1, v: 1, a: 7, c: 6, s: 4, q: 4, t: 2 };
  let i = 0;
  const add = (nx: number, ny: number, segment: boolean) => {
    if (segment) points.push([(x + nx) / 2, (y + ny) / 2]);
    x = nx;
    y = ny;
    points.push([x, y]);
  };
  while (i < tokens.length) {
    if (/[a-zA-Z]/.test(tokens[i])) command = tokens[i++];
    const lower = command.toLowerCase();
    const relative = command !== command.toUpperCase();
    if (lower === "z") {
      add(startX, startY, true);
      if (/[a-zA-Z]/.test(tokens[i] ?? "")) continue;
      break;
    }
    const n = counts[lower];
    if (n === undefined || i + n > tokens.length) break;
    const args = tokens.slice(i, i + n).map(Number);
    i += n;
    if (args.some((v) => !Number.isFinite(v))) {
      // A NaN coordinate (a log scale fed a zero): nothing drawn here.
      continue;
    }
    const ox = relative ? x : 0, oy = relative ? y : 0;
    if (lower === "h") add(ox + args[0], y, true);
    else if (lower === "v") add(x, oy + args[0], true);
    else {
      const [ex, ey] = [args[n - 2] + ox, args[n - 1] + oy];
      add(ex, ey, lower !== "m");
      if (lower === "m") {
        [startX, startY] = [ex, ey];
        command = relative ? "l" : "L";
      }
    }
  }
  return points;
}

function painted(attrs: Record<string, string>): boolean {
  const off = (v: string | undefined) => v === "0";
  if (off(attrs.opacity)) return false;
  const visible = (paint: string | undefined, opacity: string | undefined) =>
    paint !== undefined && paint !== "none" && paint !== "transparent" && !off(opacity);
  return visible(attrs.stroke, attrs["stroke-opacity"]) ||
    visible(attrs.fill, attrs["fill-opacity"]);
}

/** Points of one drawn element in its own coordinates (before its translate). */
function itemPoints(tag: string, attrs: Record<string, string>): [number, number][] {
  if (tag === "path") return pathPoints(attrs.d ?? "");
  if (tag === "line") {
    const x2 = Number(attrs.x2 ?? 0), y2 = Number(attrs.y2 ?? 0);
    return [[0, 0], [x2 / 2, y2 / 2], [x2, y2]];
  }
  if (tag === "rect") {
    const w = Number(attrs.width ?? 0), h = Number(attrs.height ?? 0);
    return [[w / 2, h / 2]];
  }
  if (tag === "text") return [[0, 0]];
  return [];
}

/**
 * Every data-mark group and panel of a Vega SVG (axes, legends and titles excluded).
 *
 * @example
 * ```ts
 * const { panels } = readMarks((await renderPlotSvg(spec)).svg);
 * panels[0].visible; // > 0 for a chart that shows its data
 * ```
 */
export function readMarks(svg: string): SvgMarks {
  const groups: MarkGroup[] = [];
  const panels: Panel[] = [];
  const stack: Frame[] = [{ x: 0, y: 0, panel: -1, guide: false }];
  for (const [, closing, tag, body, selfClosing] of svg.matchAll(TAG)) {
    if (closing) {
      if (stack.length > 1) stack.pop();
      continue;
    }
    const parent = stack[stack.length - 1];
    const attrs = attributes(body);
    const [dx, dy] = translation(attrs.transform);
    const frame: Frame = {
      x: parent.x + dx,
      y: parent.y + dy,
      panel: parent.panel,
      group: parent.group,
      guide: parent.guide,
    };
    const mark = tag === "g"
      ? (attrs.class ?? "").match(/^mark-(\w+) role-([\w-]+)\s*(.*)$/)
      : null;
    if (frame.guide) {
      // Axes, legends and titles hold neither panels nor data marks.
    } else if (mark?.[2] === "mark") {
      frame.group = { type: mark[1], name: mark[3], items: 0, visible: 0, panel: parent.panel };
      groups.push(frame.group);
    } else if (mark?.[1] === "group" && (mark[2] === "frame" || mark[2] === "scope")) {
      frame.scope = true;
      frame.group = undefined;
    } else if (mark) {
      frame.guide = true;
    } else if (tag === "g" && parent.scope) {
      frame.item = true;
    } else if (tag === "path" && attrs.class === "background" && parent.item) {
      const size = attrs.d?.match(/^M[-\d.]+,[-\d.]+h([-\d.]+)v([-\d.]+)/);
      const [width, height] = size ? [Number(size[1]), Number(size[2])] : [0, 0];
      const enclosing = panels[parent.panel];
      const same = enclosing && enclosing.x === parent.x && enclosing.y === parent.y &&
        enclosing.width === width && enclosing.height === height;
      if (width > 0 && height > 0 && !same) {
        panels.push({ x: parent.x, y: parent.y, width, height, items: 0, visible: 0 });
        parent.panel = panels.length - 1;
      }
    } else if (frame.group && tag !== "g") {
      const panel = panels[frame.group.panel];
      frame.group.items++;
      if (panel) {
        panel.items++;
        const inside = painted(attrs) && itemPoints(tag, attrs).some(([px, py]) => {
          const x = frame.x + px - panel.x, y = frame.y + py - panel.y;
          return x > 0.5 && x < panel.width - 0.5 && y > 0.5 && y < panel.height - 0.5;
        });
        if (inside) {
          frame.group.visible++;
          panel.visible++;
        }
      }
    }
    if (!selfClosing) stack.push(frame);
  }
  return {
    groups,
    panels: panels.map(({ width, height, items, visible }) => ({ width, height, items, visible })),
  };
}

/**
 * One line per panel of a rendered plot that shows no visible data mark (none when every
 * panel shows its data); `name` prefixes each line.
 *
 * @example
 * ```ts
 * checkVisibleMarks(svg, "loss-vs-n.svg"); // [] for a chart that shows its data
 * ```
 */
export function checkVisibleMarks(svg: string, name: string): string[] {
  const { panels } = readMarks(svg);
  if (panels.every((p) => p.items === 0)) return [`${name}: no data marks drawn (an empty plot)`];
  return panels.flatMap((panel, k) => {
    const where = panels.length > 1 ? `panel ${k + 1} of ${panels.length}` : "the plot";
    if (panel.items === 0) return [`${name}: no data marks drawn in ${where}`];
    return panel.visible === 0
      ? [
        `${name}: ${where} draws ${panel.items} mark items but none is visible inside its data area`,
      ]
      : [];
  });
}
