import assert from "node:assert/strict";
import { parseNotebooksArgs, selectNotebooks } from "../../lib/cli/notebooks_args.ts";
import { checkNotebook } from "../../lib/notebook/check.ts";

const NAMES = ["01-lecun1989", "02-scaling-laws", "03-kernels", "04-ablations"];

Deno.test("notebooks args: defaults, flags, one-line errors", () => {
  assert.deepEqual(parseNotebooksArgs([]), {
    out: "out/notebooks",
    only: [],
    inPlace: false,
    html: false,
    help: false,
  });
  assert.deepEqual(
    parseNotebooksArgs(["--out", "out/x", "--only=01,03", "--in-place", "--html"]),
    { out: "out/x", only: ["01", "03"], inPlace: true, html: true, help: false },
  );
  assert.equal(parseNotebooksArgs(["--help"]).help, true);
  assert.throws(() => parseNotebooksArgs(["--bogus"]), { message: "unknown flag --bogus" });
  assert.throws(() => parseNotebooksArgs(["--out"]), { message: "--out needs a value" });
  assert.throws(() => parseNotebooksArgs(["--only", "--in-place"]), /--only needs a value/);
  assert.throws(() => parseNotebooksArgs(["extra"]), /unexpected argument "extra"/);
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
  assert.equal(stderr, "error: unknown flag --nope; see deno task notebooks --help");
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

const PLOT = {
  output_type: "display_data",
  data: {
    "application/vnd.vegalite.v5+json": { mark: "point" },
    "image/svg+xml": ['<svg xmlns="http://www.w3.org/2000/svg">', "</svg>"],
    "text/plain": ["[plot]"],
  },
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

Deno.test("checkNotebook: names the failing cell, a plot without SVG, missing outputs", () => {
  const error = {
    output_type: "error",
    ename: "TypeError",
    evalue: "\x1b[31mx is not a function\x1b[0m\n    at <anonymous>",
    traceback: [],
  };
  const bare = { output_type: "display_data", data: { "application/vnd.vegalite.v5+json": {} } };
  const { problems } = checkNotebook(
    executed([[PLOT], [error], [bare]], { plots: 2, tables: 1 }),
    "02",
  );
  assert.deepEqual(problems, [
    "02: cell 2 failed: TypeError: x is not a function",
    "02: cell 3 shows a Vega-Lite plot without an SVG fallback",
    "02: expected at least 2 plots, found 1",
    "02: expected at least 1 tables, found 0",
  ]);
  assert.deepEqual(checkNotebook({}, "bad").problems, ["bad: not a notebook (no cells list)"]);
  const unexecuted = { cells: [{ cell_type: "code", execution_count: null, outputs: [] }] };
  assert.deepEqual(checkNotebook(unexecuted, "u").problems, ["u: no code cell was executed"]);
});

Deno.test("checkNotebook: the committed notebooks hold their outputs", async () => {
  for (const name of NAMES) {
    const path = new URL(`../../notebooks/${name}.ipynb`, import.meta.url);
    const nb = JSON.parse(await Deno.readTextFile(path));
    assert.equal(nb.metadata.kernelspec.name, "deno");
    assert.deepEqual(checkNotebook(nb, name).problems, [], name);
  }
});
