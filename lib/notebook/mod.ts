/**
 * Notebooks on Deno's Jupyter kernel: `show(x)` displays a Vega-Lite plot (one bundle with
 * Vega-Lite v5, SVG and PNG), an arquero table (HTML), a raster image such as a digit grid
 * (PNG), or Markdown; outputs update in place through a display id (live plots, progress
 * lines, sweep progress), all through one {@link LiveDisplay}. Outside a notebook the same
 * bundles are built and one line per output is printed.
 *
 * @example
 * ```ts
 * import { digitGrid, show } from "./mod.ts";
 * const live = await show(errorVsPassSpec(rows), { id: "curve" });
 * await live.update(errorVsPassSpec(moreRows));
 * await show(digitGrid(train.images, { count: 40 }));
 * ```
 *
 * @module
 */
export {
  imageBundle,
  isImage,
  isPlotSpec,
  isTable,
  type Markdown,
  markdown,
  type MimeBundle,
  plotBundle,
  showBundle,
  summaryLine,
  tableBundle,
  type TableLike,
  toBase64,
  VEGALITE_MIME,
} from "./bundle.ts";
export {
  checkImage,
  crc32,
  digitGrid,
  type DigitGridOptions,
  encodePng,
  type RasterImage,
} from "./image.ts";
export {
  type BundleDisplay,
  type BundleSource,
  LiveDisplay,
  type LiveDisplayOptions,
  nextDisplayId,
  notebookDisplay,
} from "../jupyter/display.ts";
export {
  consoleDisplay,
  type LiveOutput,
  type LivePlot,
  livePlot,
  show,
  type ShowOptions,
} from "./show.ts";
export {
  progressBundle,
  type ProgressLine,
  progressLine,
  type ProgressLineOptions,
  type ProgressState,
} from "./progress.ts";
export {
  copyTrials,
  type NotebookScale,
  notebookScale,
  readJsonFile,
  readPlotSpec,
  REPO_ROOT,
  repoPath,
  sweepVariant,
} from "./results.ts";
