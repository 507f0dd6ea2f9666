import assert from "node:assert/strict";
import { renderPlotDirectory, resolvePlotData, VEGA_LITE_SCHEMA } from "../../lib/plot/mod.ts";
import { countItems } from "./svg_marks.ts";

/** A spec drawing the rows of `url` as points. */
function pointsFrom(url: string) {
  return JSON.stringify({
    $schema: VEGA_LITE_SCHEMA,
    data: { url, format: { type: "csv" } },
    mark: "point",
    encoding: {
      x: { field: "n", type: "quantitative" },
      y: { field: "loss", type: "quantitative" },
    },
  });
}

async function withResults(body: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    await Deno.mkdir(`${dir}/results/run`, { recursive: true });
    await Deno.writeTextFile(`${dir}/results/run/summary.csv`, "n,loss\n1,3\n2,2.5\n4,2.2\n");
    await Deno.writeTextFile(`${dir}/secret.csv`, "n,loss\n1,1\n");
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("plot data: files under the rendered directory load, relative to the spec", async () => {
  await withResults(async (dir) => {
    await Deno.writeTextFile(`${dir}/results/run/ok.vl.json`, pointsFrom("summary.csv"));
    const [rendered] = await renderPlotDirectory(`${dir}/results`);
    assert.deepEqual(rendered.problems, []);
    assert.equal(countItems(await Deno.readTextFile(rendered.svg), "symbol"), 3);
  });
});

Deno.test("plot data: ../ paths, absolute paths, symlinks out and URLs are one clear error", async () => {
  await withResults(async (dir) => {
    const root = `${dir}/results`;
    const spec = `${root}/run/bad.vl.json`;
    const cases: [string, RegExp][] = [
      [
        "../../../../../../etc/passwd",
        /resolves to \/etc\/passwd, outside .*results; plot specs load data only from files under/,
      ],
      [`${dir}/secret.csv`, /outside .*results/],
      [
        "http://example.com/x.csv",
        /plot data "http:\/\/example\.com\/x\.csv" is a URL; plot specs load data only from files under/,
      ],
      ["file:///etc/passwd", /is a URL/],
      ["missing.csv", /plot data "missing\.csv" not found/],
    ];
    for (const [url, message] of cases) {
      await Deno.writeTextFile(spec, pointsFrom(url));
      await assert.rejects(() => renderPlotDirectory(root), {
        message: new RegExp(`^${spec.replaceAll("/", "\\/")}: .*${message.source}`),
      });
    }
    // Deno.symlink needs unscoped --allow-write, which the test task does not grant.
    const ln = await new Deno.Command("ln", {
      args: ["-s", `${dir}/secret.csv`, `${root}/run/link.csv`],
    }).output();
    assert.equal(ln.code, 0);
    await Deno.writeTextFile(spec, pointsFrom("link.csv"));
    await assert.rejects(
      () => renderPlotDirectory(root),
      /link\.csv" resolves to .*secret\.csv, outside/,
    );
  });
});

Deno.test("resolvePlotData: the real path inside the root", async () => {
  await withResults(async (dir) => {
    const real = await Deno.realPath(`${dir}/results/run/summary.csv`);
    assert.equal(
      await resolvePlotData("summary.csv", `${dir}/results/run`, `${dir}/results`),
      real,
    );
    assert.equal(
      await resolvePlotData("../run/summary.csv", `${dir}/results/run`, `${dir}/results`),
      real,
    );
  });
});
