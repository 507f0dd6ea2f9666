/**
 * Rendering plots: Vega-Lite → Vega → SVG with `vega`'s headless View (text measured with the
 * same fonts, see `text_metrics.ts`), SVG → PNG with `@resvg/resvg-wasm` using the DejaVu Sans
 * fonts from the `dejavu-fonts-ttf` npm package (no system fonts are read, so output is the same
 * on every machine).
 *
 * @module
 */

import { initWasm, Resvg } from "@resvg/resvg-wasm";
import { type Loader, parse, resetSVGDefIds, View } from "vega";
import { compilePlot } from "./compile.ts";
import { encodePng } from "./png.ts";
import { resolvePlotData } from "./data.ts";
import type { PlotSpec } from "./spec.ts";
import { fontAdvances, useFontMetrics } from "./text_metrics.ts";
import { applyTheme, PLOT_FONT, type PlotTheme } from "./theme.ts";

/** Where a spec's data comes from, and how it is drawn. */
export interface RenderOptions {
  /**
   * The directory relative `data.url`s resolve against (the spec's own); without it a spec
   * must carry its data inline.
   */
  specDir?: string;
  /** The directory data may be read from (default `specDir`): nothing outside it is read. */
  dataRoot?: string;
  /** Re-style with this theme (default: the spec's own `config`). */
  theme?: PlotTheme;
  /** Re-flow the figure to this total width in pixels (panels resized, text kept). */
  width?: number;
}

/** A rendered plot and the warnings met on the way. */
export interface RenderedPlot {
  /** SVG document. */
  svg: string;
  /** Vega-Lite compiler and Vega runtime warnings, one line each. */
  warnings: string[];
}

const NODE_MODULES = new URL("../../node_modules/", import.meta.url);
const RESVG_WASM = new URL("@resvg/resvg-wasm/index_bg.wasm", NODE_MODULES);
const FONT_FILES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"].map((name) =>
  new URL(`dejavu-fonts-ttf/ttf/${name}`, NODE_MODULES)
);

let fontsReady: Promise<Uint8Array[]> | undefined;
let resvgReady: Promise<Uint8Array[]> | undefined;

async function readPackageFile(url: URL): Promise<Uint8Array> {
  try {
    return await Deno.readFile(url);
  } catch (error) {
    throw new Error(
      `cannot read ${url.pathname} (${error instanceof Error ? error.message : error}); ` +
        "run `npm ci` to install the project's npm packages",
    );
  }
}

/**
 * Reads the fonts once per process and makes Vega measure text with them, so layouts match
 * what resvg draws.
 */
function loadFonts(): Promise<Uint8Array[]> {
  fontsReady ??= (async () => {
    const fonts = await Promise.all(FONT_FILES.map(readPackageFile));
    useFontMetrics(fontAdvances(fonts[0]), fontAdvances(fonts[1]));
    return fonts;
  })();
  return fontsReady;
}

/** Loads the resvg WebAssembly module and the fonts once per process. */
function loadResvg(): Promise<Uint8Array[]> {
  resvgReady ??= (async () => {
    await initWasm(await readPackageFile(RESVG_WASM));
    return await loadFonts();
  })();
  return resvgReady;
}

/** A Vega loader that reads only files under the data root, and remembers what failed. */
function restrictedLoader(options: RenderOptions, failures: string[]): Loader {
  const resolveUrl = async (uri: string) => {
    if (options.specDir === undefined) {
      throw new Error(`plot data "${uri}": this spec must carry its data inline (data.values)`);
    }
    return await resolvePlotData(uri, options.specDir, options.dataRoot ?? options.specDir);
  };
  const fail = (error: unknown): never => {
    failures.push(error instanceof Error ? error.message : String(error));
    throw error;
  };
  const loader = {
    options: {},
    fileAccess: true,
    async sanitize(uri: string) {
      try {
        return { href: await resolveUrl(uri) };
      } catch (error) {
        return fail(error);
      }
    },
    async load(uri: string) {
      try {
        return await Deno.readTextFile(await resolveUrl(uri));
      } catch (error) {
        return fail(error);
      }
    },
    file: (path: string) => Deno.readTextFile(path),
    http: (url: string) => fail(new Error(`plot data "${url}" is a URL; specs read local files`)),
  };
  return loader as unknown as Loader;
}

/**
 * A smaller SVG that draws the same: numbers in geometry rounded to a hundredth of a pixel, and
 * what a static file never uses dropped (hidden foreground paths, empty backgrounds, ARIA
 * attributes, pointer events, default opacities). Mark and role classes stay: the visible-mark
 * check reads them.
 */
function tidySvg(svg: string): string {
  return svg
    .replace(
      / (d|transform|points)="([^"]*)"/g,
      (_, name: string, value: string) =>
        ` ${name}="${
          value.replace(/-?\d+\.\d{3,}(?:e-?\d+)?/g, (n) => String(Number(Number(n).toFixed(2))))
        }"`,
    )
    .replace(/<path class="foreground"[^>]*display="none"[^>]*\/>/g, "")
    .replace(/<path class="background"[^>]*d="M0,0h0v0h0Z"[^>]*\/>/g, "")
    .replace(/ (?:aria-[\w-]+|role)="[^"]*"| pointer-events="none"| opacity="1"(?=[ />])/g, "");
}

async function renderOnce(spec: PlotSpec, options: RenderOptions): Promise<RenderedPlot> {
  await loadFonts();
  // Static files carry no ARIA labels (an <img> does not expose them; they double the size).
  const config = (spec as { config?: Record<string, unknown> }).config;
  const { vega, warnings } = compilePlot(
    { ...spec, config: { ...config, aria: false } } as PlotSpec,
  );
  const failures: string[] = [];
  const runtimeLogger = {
    level: () => runtimeLogger,
    error: (...args: unknown[]) => {
      throw new Error(`vega: ${args.map(String).join(" ")}`);
    },
    warn: (...args: unknown[]) => {
      warnings.push(args.map(String).join(" "));
      return runtimeLogger;
    },
    info: () => runtimeLogger,
    debug: () => runtimeLogger,
  };
  const view = new View(parse(vega), {
    renderer: "none",
    loader: restrictedLoader(options, failures),
    logger: runtimeLogger as never,
  });
  try {
    // Clip and gradient ids count up per process: restart them so a file is the same SVG
    // whatever was rendered before it.
    resetSVGDefIds();
    const svg = tidySvg(await view.toSVG());
    if (failures.length > 0) throw new Error(failures[0]);
    return { svg, warnings };
  } finally {
    view.finalize();
  }
}

/** The spec with every view's numeric `width` multiplied by `factor` (config untouched). */
function scaleWidths(node: unknown, factor: number): unknown {
  if (Array.isArray(node)) return node.map((item) => scaleWidths(item, factor));
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "config" || key === "data") out[key] = value;
    else if (key === "width" && typeof value === "number") {
      out[key] = Math.max(20, Math.round(value * factor));
    } else out[key] = scaleWidths(value, factor);
  }
  return out;
}

function svgWidth(svg: string): number {
  return Number(svg.match(/<svg[^>]*\swidth="([\d.]+)"/)?.[1] ?? NaN);
}

/**
 * Re-flows a figure to `width` pixels overall: the figure's width is close to linear in a common
 * factor on every panel's width (axes, legends and gaps stay), so two renders find the factor.
 */
async function fitToWidth(spec: PlotSpec, width: number, options: RenderOptions) {
  if (!(Number.isInteger(width) && width >= 100 && width <= 10000)) {
    throw new RangeError(`plot width must be an integer in [100, 10000] pixels, got ${width}`);
  }
  const at = async (factor: number) =>
    await renderOnce(scaleWidths(spec, factor) as PlotSpec, options);
  const full = svgWidth((await at(1)).svg);
  const half = svgWidth((await at(0.5)).svg);
  const perUnit = (full - half) / 0.5;
  if (!(perUnit > 0)) {
    throw new RangeError("this plot has no numeric width to re-flow (e.g. a step-sized bar chart)");
  }
  const factor = 1 + (width - full) / perUnit;
  const fixed = full - perUnit;
  if (!(factor > 0.05)) {
    throw new RangeError(
      `plot width ${width} px is too narrow: axes and legends of this figure take ` +
        `${Math.round(fixed)} px`,
    );
  }
  const first = await at(factor);
  // Legends and labels move a little with the panels: one more step of the same slope.
  const off = svgWidth(first.svg) - width;
  return Math.abs(off) <= 1 ? first : await at(factor - off / perUnit);
}

/**
 * Renders a Vega-Lite spec to SVG; data files a spec names are read only under
 * `options.dataRoot`, and one that cannot be read is an error (not an empty plot).
 *
 * @example
 * ```ts
 * const { svg, warnings } = await renderPlotSvg(trainingCurvesSpec(rows), { theme: "paper" });
 * ```
 */
export async function renderPlotSvg(
  spec: PlotSpec,
  options: RenderOptions = {},
): Promise<RenderedPlot> {
  const themed = options.theme === undefined ? spec : applyTheme(spec, options.theme);
  return options.width === undefined
    ? await renderOnce(themed, options)
    : await fitToWidth(themed, options.width, options);
}

/**
 * Rasterizes an SVG to PNG at `scale` × its size (default 2, for sharp figures); lossless,
 * unless `quantize` reduces it to 256 colours (smaller, for notebook outputs).
 *
 * @example
 * ```ts
 * const png = await svgToPng(svg); // Uint8Array starting with the PNG signature
 * ```
 */
export async function svgToPng(
  svg: string,
  options: { scale?: number; quantize?: boolean } = {},
): Promise<Uint8Array> {
  const scale = options.scale ?? 2;
  if (!(scale > 0 && scale <= 16)) {
    throw new RangeError(`PNG scale must be in (0, 16], got ${scale}`);
  }
  const fontBuffers = await loadResvg();
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    font: {
      fontBuffers,
      defaultFontFamily: PLOT_FONT,
      sansSerifFamily: PLOT_FONT,
    },
  });
  try {
    const image = resvg.render();
    try {
      const raster = { width: image.width, height: image.height, channels: 4 as const };
      return await encodePng({ ...raster, data: image.pixels }, { quantize: options.quantize });
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}
