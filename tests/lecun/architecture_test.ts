import assert from "node:assert/strict";
import {
  countMacs,
  countParameters,
  h1Fanout,
  h2Inputs,
  lecunShape,
  parameterLayout,
} from "../../kernels/lecun/architecture.ts";
import {
  laneLayout,
  laneTables,
  SKIP_SLOT,
  workgroupBytes,
} from "../../kernels/lecun/train_kernel.ts";

Deno.test("the 1989 net has 9,760 parameters and 63,660 MACs", () => {
  const shape = lecunShape(1);
  assert.equal(countParameters(shape), 9760);
  assert.equal(countMacs(shape), 63660);
  const layout = parameterLayout(shape);
  const sizes = Object.fromEntries(
    (["h1w", "h1b", "h2w", "h2b", "h3w", "h3b", "outw", "outb"] as const).map((n) => [
      n,
      layout[n].shape.reduce((a, b) => a * b, 1),
    ]),
  );
  assert.equal(sizes.h1w + sizes.h1b, 1068);
  assert.equal(sizes.h2w + sizes.h2b, 2592);
  assert.equal(sizes.h3w + sizes.h3b, 5790);
  assert.equal(sizes.outw + sizes.outb, 310);
  assert.equal(layout.outb.offset, 9750);
});

Deno.test("H2's connection table: maps 0-3 see 0-7, 4-7 see 4-11, 8-11 see 0-3 and 8-11", () => {
  const shape = lecunShape(1);
  const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  for (let n = 0; n < 4; n++) assert.deepEqual(h2Inputs(shape, n), range(0, 8));
  for (let n = 4; n < 8; n++) assert.deepEqual(h2Inputs(shape, n), range(4, 12));
  for (let n = 8; n < 12; n++) {
    assert.deepEqual(h2Inputs(shape, n), [...range(0, 4), ...range(8, 12)]);
  }
  for (let c = 0; c < 12; c++) {
    const fanout = h1Fanout(shape, c);
    assert.equal(fanout.length, 8, `H1 map ${c} feeds 8 H2 maps`);
    for (const { n, input } of fanout) assert.equal(h2Inputs(shape, n)[input], c);
  }
});

Deno.test("width multipliers scale H1/H2/H3 and reject fractional groups", () => {
  const half = lecunShape(0.5);
  assert.deepEqual(half, { width: 0.5, maps: 6, group: 2, fanIn: 4, hidden: 15 });
  assert.equal(
    countParameters(half),
    6 * 25 + 6 * 64 + 6 * 4 * 25 + 6 * 16 + 96 * 15 + 15 + 150 + 10,
  );
  assert.throws(() => lecunShape(0.3), /4 × width a positive integer/);
  assert.throws(() => lecunShape(0), /4 × width a positive integer/);
});

Deno.test("the whole-run kernel's lanes own every parameter exactly once", () => {
  for (const width of [0.5, 1]) {
    const shape = lecunShape(width);
    const lane = laneLayout(shape);
    const { data, storeAt } = laneTables(shape);
    const owners = new Array(countParameters(shape)).fill(0);
    const loaded = new Set<number>();
    for (let i = 0; i < storeAt; i++) {
      loaded.add(data[i]);
      const stored = data[storeAt + i];
      if (stored !== SKIP_SLOT) {
        assert.equal(stored, data[i]);
        owners[stored]++;
      }
    }
    assert.equal(storeAt, shape.maps * lane.size);
    assert.ok(
      owners.every((n) => n === 1),
      `width ${width}: a parameter is stored ${Math.max(...owners)} times`,
    );
    assert.equal(loaded.size, owners.length);
  }
  assert.ok(workgroupBytes(lecunShape(1)) <= 16384);
});
