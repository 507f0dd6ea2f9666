/**
 * Rendering plots: Vega-Lite → Vega → SVG with `vega`'s headless View, SVG → PNG with
 * `@resvg/resvg-wasm` using the DejaVu Sans fonts from the `dejavu-fonts-ttf` npm package (no
 * system fonts are read, so output is the same on every machine).
 *
 * @module
 */

import { initWasm, Resvg } from "@resvg/resvg-wasm";
import { loader, parse, resetSVGDefIds, View } from "vega";
import { compilePlot } from "./compile.ts";
import type { PlotSpec } from "./spec.ts";

/** Where relative `data.url`s in a spec are read from. */
export interface RenderOptions {
  /** Directory (with a trailing slash) that relative data URLs resolve against. */
  baseURL?: string;
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

/** Loads the resvg WebAssembly module and the fonts once per process. */
function loadResvg(): Promise<Uint8Array[]> {
  resvgReady ??= (async () => {
    await initWasm(await readPackageFile(RESVG_WASM));
    return await Promise.all(FONT_FILES.map(readPackageFile));
  })();
  return resvgReady;
}

/**
 * Renders a Vega-Lite spec to SVG.
 *
 * @example
 * ```ts
 * const { svg, warnings } = await renderPlotSvg(trainingCurvesSpec(rows));
 * ```
 */
export async function renderPlotSvg(
  spec: PlotSpec,
  options: RenderOptions = {},
): Promise<RenderedPlot> {
  const { vega, warnings } = compilePlot(spec);
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
    loader: options.baseURL === undefined
      ? undefined
      : loader({ baseURL: options.baseURL, mode: "file" }),
    logger: runtimeLogger as never,
  });
  try {
    // Clip and gradient ids count up per process: restart them so a file is the same SVG
    // whatever was rendered before it.
    resetSVGDefIds();
    return { svg: await view.toSVG(), warnings };
  } finally {
    view.finalize();
  }
}

/**
 * Rasterizes an SVG to PNG at `scale` × its size (default 2, for sharp figures).
 *
 * @example
 * ```ts
 * const png = await svgToPng(svg); // Uint8Array starting with the PNG signature
 * ```
 */
export async function svgToPng(svg: string, options: { scale?: number } = {}): Promise<Uint8Array> {
  const scale = options.scale ?? 2;
  if (!(scale > 0 && scale <= 16)) {
    throw new RangeError(`PNG scale must be in (0, 16], got ${scale}`);
  }
  const fontBuffers = await loadResvg();
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    font: {
      fontBuffers,
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
  });
  try {
    const image = resvg.render();
    try {
      return image.asPng();
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}

/**
 * A Jupyter display bundle: the spec for Vega-Lite v5 frontends and SVG for the rest; pass it
 * to `Deno.jupyter.display(bundle, { raw: true })`.
 *
 * @example
 * ```ts
 * await Deno.jupyter.display(await plotMimeBundle(spec), { raw: true });
 * ```
 */
export async function plotMimeBundle(spec: PlotSpec): Promise<Record<string, unknown>> {
  const { svg } = await renderPlotSvg(spec);
  return { "application/vnd.vegalite.v5+json": spec, "image/svg+xml": svg };
}
