import assert from "node:assert/strict";
import { parseNotebooksArgs, selectNotebooks } from "../../lib/cli/notebooks_args.ts";
import {
  checkNotebook,
  checkNotebookSize,
  checkSelfContained,
  NOTEBOOK_SIZE_LIMIT,
} from "../../lib/notebook/check.ts";
import { plotBundle } from "../../lib/notebook/mod.ts";
import { trainingCurvesSpec } from "../../lib/plot/mod.ts";

const NAMES = ["01-lecun1989", "02-scaling-laws", "03-kernels", "04-ablations", "05-progress"];

const USAGE =
  "usage: deno task notebooks [--out DIR] [--only NAME[,NAME...]] [--scale small|full] [--in-place] [--html]";

Deno.test("notebooks args: defaults, flags, one-line errors", () => {
  assert.deepEqual(parseNotebooksArgs([]), {
    out: "out/notebooks",
    only: [],
    scale: "small",
    inPlace: false,
    html: false,
    help: false,
  });
  assert.deepEqual(
    parseNotebooksArgs([
      "--out",
      "out/x",
      "--only=01,03",
      "--in-place",
      "--html",
      "--scale",
      "full",
    ]),
    { out: "out/x", only: ["01", "03"], scale: "full", inPlace: true, html: true, help: false },
  );
  assert.deepEqual(parseNotebooksArgs(["--only", "01", "--only", "02"]).only, ["01", "02"]);
  assert.equal(parseNotebooksArgs(["--help"]).help, true);
  assert.throws(() => parseNotebooksArgs(["--bogus"]), {
    message: `unknown flag --bogus; ${USAGE}`,
  });
  assert.throws(() => parseNotebooksArgs(["--out"]), { message: "--out needs a value" });
  assert.throws(() => parseNotebooksArgs(["--only", "--in-place"]), /--only needs a value/);
  assert.throws(() => parseNotebooksArgs(["extra"]), /unexpected argument "extra"/);
  assert.throws(() => parseNotebooksArgs(["--scale", "tiny"]), {
    message: 'unknown --scale "tiny"; expected one of small, full',
  });
});

Deno.test("notebooks selection by name or number prefix", () => {
  assert.deepEqual(selectNotebooks(NAMES, []), NAMES);
  assert.deepEqual(selectNotebooks(NAMES, ["03", "01-lecun1989"]), ["01-lecun1989", "03-kernels"]);
  assert.throws(() => selectNotebooks(NAMES, ["0"]), /no notebook matches "0"; notebooks: 01-/);
});

Deno.test("notebooks CLI: unknown flag exits 2 with one line", async () => {
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "lib/cli/notebooks.ts", "--nope"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(result.code, 2);
  const stderr = new TextDecoder().decode(result.stderr).trim();
  assert.equal(stderr, `error: unknown flag --nope; ${USAGE}`);
});

/** A small executed notebook as nbconvert writes it. */
function executed(outputs: unknown[][], expect?: Record<string, number>) {
  return {
    cells: [
      { cell_type: "markdown", source: ["# title"] },
      ...outputs.map((o, i) => ({ cell_type: "code", execution_count: i + 1, outputs: o })),
    ],
    metadata: { kernelspec: { name: "deno" }, ...(expect ? { scalelab: { expect } } : {}) },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

/** A plot output as Deno's kernel saves it (from `plotBundle`). */
const PLOT = {
  output_type: "display_data",
  data: await plotBundle(
    trainingCurvesSpec([{ step: 1, loss: 3, config: "a" }, { step: 2, loss: 2, config: "a" }]),
  ),
  metadata: {},
};
const TABLE = {
  output_type: "display_data",
  data: { "text/html": ["<table><tr><td>1</td></tr></table>"], "text/plain": ["x"] },
};
const IMAGE = { output_type: "display_data", data: { "image/png": "iVBORw0KGgo=" } };

Deno.test("checkNotebook: counts plots, tables and images; passes a good notebook", () => {
  const nb = executed([[PLOT, TABLE], [IMAGE, { output_type: "stream", text: ["hi"] }]], {
    plots: 1,
    tables: 1,
    images: 1,
  });
  assert.deepEqual(checkNotebook(nb, "nb"), {
    outputs: { plots: 1, tables: 1, images: 1, cells: 2 },
    problems: [],
  });
});

Deno.test("checkNotebook: names the failing cell, a plot without SVG or PNG, an empty plot, timestamps, missing outputs", async () => {
  const error = {
    output_type: "error",
    ename: "TypeError",
    evalue: "\x1b[31mx is not a function\x1b[0m\n    at <anonymous>",
    traceback: [],
  };
  const bare = { output_type: "display_data", data: { "application/vnd.vegalite.v5+json": {} } };
  const { "image/png": _png, ...noPng } = PLOT.data;
  const zeros = await plotBundle(
    trainingCurvesSpec([{ step: 1, loss: 0, config: "a" }, { step: 2, loss: 0, config: "a" }]),
  );
  const nb = executed(
    [[PLOT], [error], [bare], [{ ...PLOT, data: noPng }], [{ ...PLOT, data: zeros }]],
    { plots: 2, tables: 1 },
  );
  (nb.cells[1] as Record<string, unknown>).metadata = {
    execution: { "iopub.status.busy": "2026-11-24T01:17:38.696000Z" },
  };
  assert.deepEqual(checkNotebook(nb, "02").problems, [
    "02: cell 1 records execution timestamps (metadata.execution)",
    "02: cell 2 failed: TypeError: x is not a function",
    "02: cell 3 shows a Vega-Lite plot without an SVG fallback",
    "02: cell 4 shows a Vega-Lite plot without a PNG rendering",
    "02: cell 5: the plot draws 1 mark items but none is visible inside its data area",
    "02: expected at least 2 plots, found 1",
    "02: expected at least 1 tables, found 0",
  ]);
  assert.deepEqual(checkNotebook({}, "bad").problems, ["bad: not a notebook (no cells list)"]);
  const unexecuted = { cells: [{ cell_type: "code", execution_count: null, outputs: [] }] };
  assert.deepEqual(checkNotebook(unexecuted, "u").problems, ["u: no code cell was executed"]);
});

Deno.test("notebook size and HTML self-containment checks", () => {
  assert.deepEqual(checkNotebookSize("x".repeat(NOTEBOOK_SIZE_LIMIT), "a"), []);
  assert.deepEqual(checkNotebookSize("x".repeat(300 * 1024), "b"), [
    "b: 300 KB, over the 250 KB limit",
  ]);
  const page =
    `<html><head><script src="/usr/share/javascript/requirejs/require.min.js"></script>` +
    `<script src="https://cdn.example/MathJax.js"></script><link rel="stylesheet" href="x.css">` +
    `<link rel="canonical" href="https://example.org/nb"><style>p {}</style></head>` +
    `<body><img src="data:image/png;base64,AAAA"><script>var inline = 1;</script></body></html>`;
  assert.deepEqual(checkSelfContained(page, "01.html"), [
    "01.html: loads /usr/share/javascript/requirejs/require.min.js (a <script> outside the page)",
    "01.html: loads https://cdn.example/MathJax.js (a <script> outside the page)",
    "01.html: loads x.css (a <link> outside the page)",
  ]);
});

Deno.test("checkNotebook: the committed notebooks hold their outputs", async () => {
  for (const name of NAMES) {
    const path = new URL(`../../notebooks/${name}.ipynb`, import.meta.url);
    const text = await Deno.readTextFile(path);
    const nb = JSON.parse(text);
    assert.equal(nb.metadata.kernelspec.name, "deno");
    assert.deepEqual(
      [...checkNotebook(nb, name).problems, ...checkNotebookSize(text, name)],
      [],
      name,
    );
  }
});
