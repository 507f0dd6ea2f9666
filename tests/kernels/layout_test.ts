import { assertClose, gpu, gradcheck, randomArray } from "../helpers/check.ts";
import * as T from "../../lib/ops/mod.ts";

await gpu();

Deno.test("reshape, permute and slice are views; contiguous and concat copy", async () => {
  const data = randomArray(2 * 3 * 4, 1);
  const x = T.tensor(data, [2, 3, 4]);
  const p = T.permute(x, [2, 0, 1]); // [4, 2, 3]
  if (p.buffer !== x.buffer) throw new Error("permute copied");
  const host: number[] = [];
  for (let k = 0; k < 4; k++) {
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) host.push(data[(i * 3 + j) * 4 + k]);
  }
  assertClose(await p.toArray(), host, { atol: 0 });
  const s = T.slice(x, 2, 1, 3); // [2, 3, 2]
  const expected: number[] = [];
  for (let i = 0; i < 6; i++) expected.push(data[i * 4 + 1], data[i * 4 + 2]);
  assertClose(await s.toArray(), expected, { atol: 0 });
  const r = T.reshape(p, [8, -1]); // non-dense: copies
  if (r.shape.join() !== "8,3") throw new Error(`reshape -> [${r.shape}]`);
  assertClose(await r.toArray(), host, { atol: 0 });
  const c = T.concat([x, x], 1);
  const cat: number[] = [];
  for (let i = 0; i < 2; i++) {
    for (let rep = 0; rep < 2; rep++) for (let j = 0; j < 12; j++) cat.push(data[i * 12 + j]);
  }
  assertClose(await c.toArray(), cat, { atol: 0 });
  const ids = T.concat([T.tensor(new Int32Array([1, 2])), T.tensor(new Int32Array([3]))], 0);
  assertClose(await ids.toArray(), [1, 2, 3], { atol: 0 });
  for (const t of [x, p, s, r, c, ids]) t.dispose();
});

Deno.test("layout ops pass gradients", async () => {
  const d = { data: randomArray(7 * 33, 2), shape: [7, 33] };
  await gradcheck((x) => T.transpose(x), [d]);
  await gradcheck((x) => T.reshape(T.transpose(x), [-1]), [d]);
  await gradcheck((x) => T.slice(x, 1, 5, 20), [d]);
  await gradcheck((x) => T.expand(T.slice(x, 0, 1, 2), [3, 7, 33]), [d]);
  await gradcheck((a, b) => T.concat([a, b, a], 0), [d, {
    data: randomArray(33, 3),
    shape: [1, 33],
  }]);
  await gradcheck((x) => T.contiguous(T.permute(x, [1, 0])), [d]);
});

Deno.test("layout ops reject bad arguments with one-line errors", () => {
  const x = T.tensor(randomArray(6, 1), [2, 3]);
  const expectError = (f: () => unknown, text: string) => {
    try {
      f();
    } catch (e) {
      const m = (e as Error).message;
      if (!m.includes(text) || m.includes("\n")) throw new Error(`bad message: ${m}`);
      return;
    }
    throw new Error(`no error (expected "${text}")`);
  };
  expectError(() => T.reshape(x, [4, 2]), "cannot view");
  expectError(() => T.permute(x, [0, 0]), "not a permutation");
  expectError(() => T.slice(x, 1, 2, 5), "outside");
  expectError(() => T.concat([x, T.tensor([1, 2], [1, 2])], 0), "does not match");
  expectError(() => T.expand(x, [3, 3]), "cannot broadcast");
  x.dispose();
});
