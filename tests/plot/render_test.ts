import assert from "node:assert/strict";
import { plotMimeBundle, renderPlotSvg, svgToPng, trainingCurvesSpec } from "../../lib/plot/mod.ts";

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

Deno.test("Jupyter bundle: Vega-Lite v5 spec with an SVG fallback", async () => {
  const bundle = await plotMimeBundle(SPEC);
  assert.equal(bundle["application/vnd.vegalite.v5+json"], SPEC);
  assert.match(String(bundle["image/svg+xml"]), /^<svg /);
});

Deno.test("SVG rendering is the same file whatever was rendered before it", async () => {
  const first = (await renderPlotSvg(SPEC)).svg;
  assert.match(first, /clip-path="url\(#clip\d+\)"/);
  assert.equal((await renderPlotSvg(SPEC)).svg, first);
});
