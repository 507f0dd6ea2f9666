import assert from "node:assert/strict";
import {
  renderPlotDirectory,
  trainingCurvesSpec,
  VEGA_LITE_SCHEMA,
  writePlotSpec,
} from "../../lib/plot/mod.ts";
import { countItems } from "./svg_marks.ts";

async function withTempDir(body: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("every NAME.vl.json under a directory renders to NAME.svg and NAME.png", async () => {
  await withTempDir(async (dir) => {
    await writePlotSpec(
      `${dir}/curves.vl.json`,
      trainingCurvesSpec([
        { step: 1, loss: 3, config: "a" },
        { step: 2, loss: 2, config: "a" },
      ]),
    );
    await Deno.mkdir(`${dir}/sweep`);
    await Deno.writeTextFile(`${dir}/sweep/summary.csv`, "n,loss\n1e6,3.2\n1e7,2.9\n1e8,2.7\n");
    await Deno.writeTextFile(
      `${dir}/sweep/loss.vl.json`,
      JSON.stringify({
        $schema: VEGA_LITE_SCHEMA,
        data: { url: "summary.csv" },
        mark: "point",
        encoding: {
          x: { field: "n", type: "quantitative", scale: { type: "log" } },
          y: { field: "loss", type: "quantitative" },
        },
      }),
    );
    const rendered = await renderPlotDirectory(dir);
    assert.deepEqual(rendered.map((r) => r.spec), [
      `${dir}/curves.vl.json`,
      `${dir}/sweep/loss.vl.json`,
    ]);
    assert.deepEqual(rendered.map((r) => r.warnings), [[], []]);
    const svg = await Deno.readTextFile(`${dir}/sweep/loss.svg`);
    assert.equal(countItems(svg, "symbol"), 3, "the CSV's three rows are drawn");
    const png = await Deno.readFile(`${dir}/curves.png`);
    assert.deepEqual([...png.subarray(1, 4)], [80, 78, 71]);
    const leftovers = [...Deno.readDirSync(dir)].filter((e) => e.name.includes(".tmp-"));
    assert.deepEqual(leftovers, []);
  });
});

Deno.test("plot directories: no specs, bad JSON and a bad spec name are one-line errors", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(() => renderPlotDirectory(dir), {
      message: `no plot specs (*.vl.json) found under ${dir}`,
    });
    await assert.rejects(() => renderPlotDirectory(`${dir}/missing`), {
      message: `results directory ${dir}/missing does not exist`,
    });
    await Deno.writeTextFile(`${dir}/broken.vl.json`, "{ not json");
    await assert.rejects(() => renderPlotDirectory(dir), {
      message: new RegExp(`^${dir}/broken.vl.json: not valid JSON`),
    });
    await assert.rejects(
      () =>
        writePlotSpec(`${dir}/plot.json`, trainingCurvesSpec([{ step: 1, loss: 1, config: "a" }])),
      {
        message: /must end in \.vl\.json/,
      },
    );
  });
});
