/**
 * Building the static results browser: `index.html` (every experiment with its headline fits
 * and a thumbnail) and one page per experiment (interactive figures, a sortable and filterable
 * trial table, the selected trials' training curves overlaid), with vega, vega-lite and
 * vega-embed copied from node_modules and each page's data in a classic script, so the site
 * works from `file://` and any static host and loads nothing from elsewhere.
 *
 * Layout of the output directory: `index.html`, `NAME.html`, `assets/` (scripts, style, the
 * libraries' licences), `data/` (`index.js`, `NAME.js`), `img/NAME/` (the rendered figures).
 * The site is built beside the output directory and moved into place at the end, so a failed
 * build leaves the previous site; an existing directory is replaced only if it is a site this
 * builder made (it holds `.scalelab-site`).
 *
 * @module
 */

import { collectExperiment, type ExperimentData } from "./collect.ts";

const NODE_MODULES = new URL("../../node_modules/", import.meta.url);
const STATIC = new URL("./static/", import.meta.url);

/** The libraries the pages load, from node_modules (path inside the package, file name). */
const LIBRARIES = [
  ["vega", "build/vega.min.js"],
  ["vega-lite", "build/vega-lite.min.js"],
  ["vega-embed", "build/vega-embed.min.js"],
] as const;

/** The file marking a directory as a site this builder wrote. */
const MARKER = ".scalelab-site";

/** What {@link buildSite} wrote. */
export interface BuiltSite {
  /** The site's directory. */
  out: string;
  /** Experiments, by page. */
  experiments: { name: string; page: string; trials: number; figures: number }[];
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readPackageFile(name: string, path: string): Promise<Uint8Array> {
  const url = new URL(`${name}/${path}`, NODE_MODULES);
  try {
    return await Deno.readFile(url);
  } catch {
    throw new Error(
      `cannot read ${url.pathname}: the ${name} package is missing; run \`npm ci\` to install ` +
        "the project's npm packages",
    );
  }
}

/** A page around `body`, loading the libraries, the page's data, and the page script. */
function page(title: string, data: string, body: string): string {
  const scripts = [
    ...LIBRARIES.map(([, path]) => `assets/${path.split("/").pop()}`),
    `data/${data}`,
    "assets/site.js",
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="assets/site.css">
</head>
<body>
${body}
<pre id="site-status" hidden></pre>
${scripts.map((src) => `<script src="${src}"></script>`).join("\n")}
</body>
</html>
`;
}

function indexPage(): string {
  return page(
    "scalelab results",
    "index.js",
    `<header>
<h1>scalelab results</h1>
<p class="meta">Every experiment published in <code>results/</code>: open one for its figures,
its trials and their training curves.</p>
</header>
<main id="experiments"></main>
<footer>Built by <code>deno task site</code> from the results files; charts drawn with
Vega-Lite and vega-embed.</footer>`,
  );
}

function experimentPage(exp: ExperimentData): string {
  return page(
    `${exp.name} · scalelab results`,
    `${exp.name}.js`,
    `<header>
<nav><a href="index.html">← all experiments</a></nav>
<h1>${escapeHtml(exp.name)}</h1>
</header>
<main>
<h2>Fitted laws</h2>
<ul id="headline" class="headline"></ul>
<h2>Figures</h2>
<div id="figures"></div>
<h2>Trials</h2>
<div class="controls">
<input id="filter" type="search" placeholder="filter: text, or column&lt;value, column=value"
 aria-label="filter trials">
<button id="select-shown" type="button">show all listed</button>
<button id="select-none" type="button">show none</button>
<span id="shown"></span>
</div>
<div class="table-wrap"><table id="trials"></table></div>
<h2>Training curves of the ticked trials</h2>
<div class="controls"><label>metric <select id="metric"></select></label></div>
<div id="trial-curves" class="chart"></div>
</main>`,
  );
}

/** `globalThis.SCALELAB_SITE = value;` as a classic script. */
function dataScript(value: unknown): string {
  return `globalThis.SCALELAB_SITE = ${JSON.stringify(value)};\n`;
}

async function resultsDirectories(results: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(results)) {
    if (entry.isDirectory && !entry.name.startsWith(".")) names.push(entry.name);
  }
  return names.sort();
}

/** Replaces `out` with `built`, refusing to delete a directory that is not a site. */
async function moveIntoPlace(built: string, out: string): Promise<void> {
  const info = await Deno.stat(out).catch(() => undefined);
  if (info) {
    const ours = await Deno.stat(`${out}/${MARKER}`).then(() => true, () => false);
    const empty = info.isDirectory && (await Array.fromAsync(Deno.readDir(out))).length === 0;
    if (!ours && !empty) {
      await Deno.remove(built, { recursive: true });
      throw new Error(
        `${out} exists and is not a results site; give --out an empty or new directory`,
      );
    }
    await Deno.remove(out, { recursive: true });
  }
  await Deno.rename(built, out);
}

/**
 * Builds the results browser of `results` (each subdirectory an experiment) into `out`.
 *
 * @example
 * ```ts
 * const site = await buildSite("results", "out/site");
 * site.experiments.map((e) => e.page); // ["examples.html", "gpt-ablations.html", …]
 * ```
 */
export async function buildSite(results: string, out: string): Promise<BuiltSite> {
  const info = await Deno.stat(results).catch(() => undefined);
  if (!info?.isDirectory) throw new Error(`results directory ${results} does not exist`);
  const root = out.replace(/\/+$/, "") || ".";
  const built = `${root}.building`;
  await Deno.remove(built, { recursive: true }).catch(() => {});
  for (const dir of ["assets", "data", "img"]) {
    await Deno.mkdir(`${built}/${dir}`, { recursive: true });
  }
  await Deno.writeTextFile(`${built}/${MARKER}`, "built by deno task site\n");
  // GitHub Pages: serve the files as they are.
  await Deno.writeTextFile(`${built}/.nojekyll`, "");
  const licences: string[] = [];
  for (const [name, path] of LIBRARIES) {
    await Deno.writeFile(
      `${built}/assets/${path.split("/").pop()}`,
      await readPackageFile(name, path),
    );
    const licence = new TextDecoder().decode(await readPackageFile(name, "LICENSE"));
    licences.push(`${name}\n${"-".repeat(name.length)}\n${licence.trim()}\n`);
  }
  await Deno.writeTextFile(`${built}/assets/LICENSES.txt`, licences.join("\n"));
  for (const file of ["site.js", "site.css"]) {
    await Deno.copyFile(new URL(file, STATIC), `${built}/assets/${file}`);
  }
  const experiments: BuiltSite["experiments"] = [];
  const index = [];
  for (const name of await resultsDirectories(results)) {
    const exp = await collectExperiment(`${results}/${name}`);
    if (exp.figures.length === 0 && exp.trials.rows.length === 0) continue;
    await Deno.mkdir(`${built}/img/${name}`, { recursive: true });
    for (const figure of exp.figures) {
      for (const file of figure.files) {
        await Deno.copyFile(`${results}/${name}/${file}`, `${built}/img/${name}/${file}`);
      }
    }
    await Deno.writeTextFile(`${built}/data/${name}.js`, dataScript({ experiment: exp }));
    await Deno.writeTextFile(`${built}/${name}.html`, experimentPage(exp));
    const thumbnail = exp.figures.find((f) => f.files.includes(`${f.name}.png`));
    index.push({
      name,
      headline: exp.headline,
      trials: exp.trials.rows.length,
      figures: exp.figures.length,
      thumbnail: thumbnail ? `img/${name}/${thumbnail.name}.png` : null,
      thumbnailTitle: thumbnail?.name ?? null,
    });
    experiments.push({
      name,
      page: `${name}.html`,
      trials: exp.trials.rows.length,
      figures: exp.figures.length,
    });
  }
  if (experiments.length === 0) {
    await Deno.remove(built, { recursive: true });
    throw new Error(`${results} holds no experiments (no plot specs, trial files or run tables)`);
  }
  await Deno.writeTextFile(`${built}/data/index.js`, dataScript({ index: { experiments: index } }));
  await Deno.writeTextFile(`${built}/index.html`, indexPage());
  await moveIntoPlace(built, root);
  return { out: root, experiments };
}
