import assert from "node:assert/strict";
import {
  applyTheme,
  fontAdvances,
  renderPlotSvg,
  scalingPlotSpec,
  svgToPng,
  themeConfig,
  trainingCurvesSpec,
} from "../../lib/plot/mod.ts";

const SPEC = trainingCurvesSpec([
  { step: 1, loss: 4.2, config: "small" },
  { step: 100, loss: 3.1, config: "small" },
  { step: 1, loss: 4.1, config: "large" },
  { step: 100, loss: 2.6, config: "large" },
], { title: "training loss" });

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Uint8Array): [number, number] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return [view.getUint32(16), view.getUint32(20)];
}

Deno.test("PNG rendering: valid PNG at 2× the SVG's size, with drawn pixels", async () => {
  const { svg } = await renderPlotSvg(SPEC);
  const [, width, height] = svg.match(/width="(\d+)" height="(\d+)"/)!.map(Number);
  const png = await svgToPng(svg);
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  assert.deepEqual(pngSize(png), [2 * width, 2 * height]);
  const blank = await svgToPng(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<rect width="${width}" height="${height}" fill="white"/></svg>`,
  );
  // Text, lines and axes compress far worse than an empty white canvas.
  assert.ok(png.length > 10 * blank.length, `${png.length} vs blank ${blank.length} bytes`);
  assert.deepEqual(pngSize(await svgToPng(svg, { scale: 1 })), [width, height]);
  await assert.rejects(() => svgToPng(svg, { scale: 0 }), { message: /PNG scale must be in/ });
});

Deno.test("text is drawn with the shipped font: labels change the pixels", async () => {
  const text = (label: string) =>
    `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="white"/>` +
    `<text x="10" y="28" font-family="DejaVu Sans" font-size="20">${label}</text></svg>`;
  const empty = await svgToPng(text(""));
  const written = await svgToPng(text("loss 2.6"));
  assert.ok(written.length > empty.length + 200, `${written.length} vs ${empty.length} bytes`);
});

Deno.test("text is measured with the shipped font, so layouts are as wide as drawn", async () => {
  const font = await Deno.readFile(
    new URL("../../node_modules/dejavu-fonts-ttf/ttf/DejaVuSans.ttf", import.meta.url),
  );
  const sans = fontAdvances(font);
  const width = (text: string) =>
    [...text].reduce((w, c) => w + sans.advance(c.codePointAt(0)!), 0);
  assert.ok(width("iiii") < width("MMMM") / 2, "proportional widths");
  assert.ok(Math.abs(width("m") - 0.974) < 0.01, `"m" is ${width("m")} em in DejaVu Sans`);
  // A title of 60 characters at 14 px: Vega's canvas-less estimate is 0.8 em a character (672
  // px); measured, it fits a 480 px plot.
  const title = "x".repeat(60);
  const { svg } = await renderPlotSvg(trainingCurvesSpec([{ step: 1, loss: 1, config: "a" }], {
    title,
  }));
  assert.ok(Number(svg.match(/width="(\d+)"/)![1]) < 672, "the title does not widen the figure");
});

Deno.test("--width re-flows a figure to the asked width; themes restyle it", async () => {
  const points = [1e3, 1e4, 1e5].map((n, i) => ({ n, loss: 3 - 0.2 * i, s: `s${i}` }));
  const spec = scalingPlotSpec(points, { x: "n", y: "loss", color: { field: "s" } });
  for (const width of [400, 800]) {
    const { svg } = await renderPlotSvg(spec, { width });
    const drawn = Number(svg.match(/width="(\d+)"/)![1]);
    assert.ok(Math.abs(drawn - width) <= 3, `asked ${width} px, drew ${drawn}`);
  }
  await assert.rejects(() => renderPlotSvg(spec, { width: 120 }), /too narrow/);
  const paper = await renderPlotSvg(spec, { theme: "paper" });
  const first = themeConfig("paper").range.category[0];
  assert.match(paper.svg, new RegExp(`fill="${first}"`), "paper palette");
  assert.equal(applyTheme(spec, "paper").config?.font, "DejaVu Sans");
  assert.throws(
    () => themeConfig("dark" as never),
    /unknown plot theme "dark"; themes: default, paper/,
  );
});

Deno.test("SVG rendering is the same file whatever was rendered before it", async () => {
  const first = (await renderPlotSvg(SPEC)).svg;
  assert.match(first, /clip-path="url\(#clip\d+\)"/);
  assert.equal((await renderPlotSvg(SPEC)).svg, first);
});
