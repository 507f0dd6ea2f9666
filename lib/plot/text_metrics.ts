/**
 * Text widths for headless rendering from the font the PNGs are drawn with. Without a canvas,
 * Vega estimates every character at 0.8 em, which makes titles, legends and axis labels take
 * about half again the room they need (a two-panel figure 960 px wide instead of 700). Reading
 * the advance widths of DejaVu Sans (regular and bold) from their TrueType `hmtx` and `cmap`
 * tables lets the layout match what resvg then draws.
 *
 * @module
 */

import * as vega from "vega";

/** Advance widths of one TrueType font, in em. */
export interface FontAdvances {
  /** Width of the character with this code point (a fallback width for unknown ones). */
  advance(codePoint: number): number;
}

function tables(font: DataView): Map<string, number> {
  const found = new Map<string, number>();
  const count = font.getUint16(4);
  for (let i = 0; i < count; i++) {
    const record = 12 + 16 * i;
    const tag = String.fromCharCode(
      ...[0, 1, 2, 3].map((k) => font.getUint8(record + k)),
    );
    found.set(tag, font.getUint32(record + 8));
  }
  return found;
}

/** The glyph index of each BMP code point, from a format-4 (Windows Unicode) cmap subtable. */
function format4(font: DataView, at: number): (codePoint: number) => number {
  const segments = font.getUint16(at + 6) / 2;
  const ends = at + 14;
  const starts = ends + 2 * segments + 2;
  const deltas = starts + 2 * segments;
  const rangeOffsets = deltas + 2 * segments;
  return (code) => {
    for (let s = 0; s < segments; s++) {
      if (code > font.getUint16(ends + 2 * s)) continue;
      const start = font.getUint16(starts + 2 * s);
      if (code < start) return 0;
      const delta = font.getInt16(deltas + 2 * s);
      const rangeOffset = font.getUint16(rangeOffsets + 2 * s);
      if (rangeOffset === 0) return (code + delta) & 0xffff;
      const glyph = font.getUint16(rangeOffsets + 2 * s + rangeOffset + 2 * (code - start));
      return glyph === 0 ? 0 : (glyph + delta) & 0xffff;
    }
    return 0;
  };
}

/**
 * The advance widths of a TrueType font file (its `head`, `hhea`, `hmtx` and format-4 `cmap`).
 *
 * @example
 * ```ts
 * const sans = fontAdvances(await Deno.readFile("node_modules/dejavu-fonts-ttf/ttf/DejaVuSans.ttf"));
 * sans.advance("m".codePointAt(0)!); // ≈ 0.97 em
 * ```
 */
export function fontAdvances(bytes: Uint8Array): FontAdvances {
  const font = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = tables(font);
  const [head, hhea, hmtx, cmap] = ["head", "hhea", "hmtx", "cmap"].map((tag) => at.get(tag));
  if (head === undefined || hhea === undefined || hmtx === undefined || cmap === undefined) {
    throw new Error("not a TrueType font with head, hhea, hmtx and cmap tables");
  }
  const unitsPerEm = font.getUint16(head + 18);
  const metrics = font.getUint16(hhea + 34);
  let glyphOf: ((code: number) => number) | undefined;
  for (let i = 0; i < font.getUint16(cmap + 2); i++) {
    const record = cmap + 4 + 8 * i;
    const subtable = cmap + font.getUint32(record + 4);
    if (font.getUint16(record) === 3 && font.getUint16(subtable) === 4) {
      glyphOf = format4(font, subtable);
      break;
    }
  }
  if (!glyphOf) throw new Error("TrueType font has no Windows Unicode (format 4) cmap");
  const widthOf = (glyph: number) =>
    font.getUint16(hmtx + 4 * Math.min(glyph, metrics - 1)) / unitsPerEm;
  const cache = new Map<number, number>();
  const fallback = widthOf(glyphOf("n".codePointAt(0)!));
  return {
    advance(code) {
      let width = cache.get(code);
      if (width === undefined) {
        const glyph = code > 0xffff ? 0 : glyphOf!(code);
        width = glyph === 0 ? fallback : widthOf(glyph);
        cache.set(code, width);
      }
      return width;
    },
  };
}

interface TextItem {
  fontSize?: number;
  fontWeight?: string | number;
  limit?: number;
}

/**
 * Makes Vega measure text with these fonts (bold for weights `bold` and ≥ 600) in every later
 * headless rendering.
 *
 * @example
 * ```ts
 * useFontMetrics(fontAdvances(regular), fontAdvances(bold));
 * ```
 */
export function useFontMetrics(regular: FontAdvances, bold: FontAdvances): void {
  // Exported by vega (from vega-scenegraph) though its type declarations omit it.
  const metrics = (vega as unknown as {
    textMetrics: { width: (item: TextItem, text: unknown) => number };
  }).textMetrics;
  metrics.width = (item, text) => {
    const value = text == null ? "" : String(text).trim();
    const size = item.fontSize ?? 11;
    const weight = item.fontWeight;
    const font = weight === "bold" || Number(weight) >= 600 ? bold : regular;
    let em = 0;
    for (const char of value) em += font.advance(char.codePointAt(0)!);
    return em * size;
  };
}
