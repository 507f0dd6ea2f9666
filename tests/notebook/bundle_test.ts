import assert from "node:assert/strict";
import * as aq from "arquero";
import {
  digitGrid,
  imageBundle,
  isPlotSpec,
  isTable,
  markdown,
  plotBundle,
  show,
  showBundle,
  summaryLine,
  tableBundle,
  toBase64,
  VEGALITE_MIME,
} from "../../lib/notebook/mod.ts";
import { trainingCurvesSpec, VEGA_LITE_SCHEMA } from "../../lib/plot/mod.ts";

const SPEC = trainingCurvesSpec([
  { step: 1, loss: 4.2, config: "a" },
  { step: 10, loss: 3.1, config: "a" },
], { title: "loss" });

Deno.test("plotBundle: the v5 spec (data as CSV text), its SVG, a PNG and a text line", async () => {
  const bundle = await plotBundle(SPEC);
  assert.deepEqual(
    Object.keys(bundle).sort(),
    [VEGALITE_MIME, "image/png", "image/svg+xml", "text/plain"].sort(),
  );
  const v5 = bundle[VEGALITE_MIME] as { $schema: string; data: { values: unknown } };
  assert.equal(v5.$schema, VEGA_LITE_SCHEMA);
  assert.equal(v5.data.values, "step,loss,config\n1,4.2,a\n10,3.1,a\n");
  assert.match(bundle["image/svg+xml"] as string, /^<svg/);
  // Classic Notebook shows the PNG untrusted: at the SVG's own size.
  const png = Uint8Array.from(atob(bundle["image/png"] as string), (c) => c.charCodeAt(0));
  assert.deepEqual([...png.subarray(1, 4)], [80, 78, 71]);
  const width = Number((bundle["image/svg+xml"] as string).match(/width="(\d+)"/)![1]);
  assert.equal(new DataView(png.buffer).getUint32(16), width);
  assert.equal(bundle["text/plain"], "[plot: loss]");
  const { $schema: _, ...noSchema } = SPEC as unknown as Record<string, unknown>;
  const added = await plotBundle(noSchema as never);
  assert.equal((added[VEGALITE_MIME] as { $schema: string }).$schema, VEGA_LITE_SCHEMA);
  await assert.rejects(
    () => plotBundle({ ...SPEC, $schema: "https://vega.github.io/schema/vega-lite/v6.json" }),
    /Vega-Lite v5/,
  );
});

Deno.test("tableBundle: arquero HTML and aligned text, limited rows", () => {
  const table = aq.table({ n: [1, 22, 333], loss: [3.14159, 2.5, 2] });
  assert.ok(isTable(table));
  assert.ok(!isPlotSpec(table), "an arquero table is not a plot spec (it has a concat method)");
  const bundle = tableBundle(table, { limit: 2 });
  assert.match(bundle["text/html"] as string, /<table/);
  assert.equal(bundle["text/plain"], "n   loss\n--  -----\n1   3.142\n22  2.5\n(1 more rows)");
});

Deno.test("imageBundle: base64 PNG of a digit grid", async () => {
  const images = new Float32Array(3 * 256).fill(-1);
  images[0] = 1;
  const grid = digitGrid(images, { columns: 2, scale: 2, gap: 1 });
  assert.deepEqual([grid.width, grid.height], [2 * 33 + 1, 2 * 33 + 1]);
  assert.equal(grid.data[1 * grid.width + 1], 0, "ink is black");
  assert.equal(grid.data[1 * grid.width + 3], 255, "background is white");
  assert.equal(grid.data[0], 200, "gaps are gray");
  const bundle = await imageBundle(grid);
  const png = Uint8Array.from(atob(bundle["image/png"] as string), (c) => c.charCodeAt(0));
  assert.deepEqual([...png.subarray(1, 4)], [80, 78, 71]);
  assert.equal(bundle["text/plain"], "[image 67×67]");
  assert.throws(() => digitGrid(images, { count: 4 }), /count must be 1 to 3/);
});

Deno.test("showBundle dispatch, Markdown, base64 and summary lines", async () => {
  assert.ok(VEGALITE_MIME in await showBundle(SPEC));
  assert.deepEqual(await showBundle(markdown("**x**")), {
    "text/markdown": "**x**",
    "text/plain": "**x**",
  });
  assert.deepEqual(await showBundle("hi"), { "text/plain": "hi" });
  assert.deepEqual(await showBundle({ a: 1 }), { "text/plain": '{\n  "a": 1\n}' });
  assert.equal(toBase64(new Uint8Array([104, 105])), "aGk=");
  assert.equal(summaryLine({ "text/plain": "a\nb" }), "a … (2 lines)");
  assert.equal(summaryLine({ "image/png": "" }), "[image/png]");
});

Deno.test("show: displays through the given display, updates in place by id", async () => {
  const calls: { keys: string[]; id?: string; update?: boolean }[] = [];
  const display = (
    bundle: Record<string, unknown>,
    o: { display_id?: string; update?: boolean },
  ) => {
    calls.push({ keys: Object.keys(bundle), id: o.display_id, update: o.update });
  };
  const live = await show(SPEC, { id: "curve", display });
  await live.update(markdown("done"));
  // As a cell's last value the handle shows nothing (an empty bundle for Deno's kernel).
  const own = live as unknown as Record<symbol, () => unknown>;
  assert.deepEqual(own[Symbol.for("Jupyter.display")](), {});
  assert.deepEqual(calls, [
    {
      keys: [VEGALITE_MIME, "image/svg+xml", "image/png", "text/plain"],
      id: "curve",
      update: false,
    },
    { keys: ["text/markdown", "text/plain"], id: "curve", update: true },
  ]);
});

Deno.test("show: headless prints one line per output and nothing per update", async () => {
  const logged: unknown[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => logged.push(args.join(" "));
  try {
    assert.equal(await show(markdown("no id, no handle")), undefined);
    const live = await show(SPEC, { id: "p" });
    await live.update(SPEC);
  } finally {
    console.log = log;
  }
  assert.deepEqual(logged, ["no id, no handle", "[plot: loss]"]);
});
