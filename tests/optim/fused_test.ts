import { assertClose, gpu, randomArray } from "../helpers/check.ts";
import { AdamW, SGD } from "../../lib/optim/mod.ts";
import { copyInto } from "../../kernels/map.ts";
import * as T from "../../lib/ops/mod.ts";
import { backwardWithGrads, disposeAll, makeGrads, makeParams, readAll } from "./params.ts";

const runtime = await gpu();

Deno.test("parameters are updated in place: same storage, one dispatch per step", async () => {
  const shapes = [[7], [33, 5]];
  const { params, values } = makeParams(shapes, 1);
  const storages = params.map((p) => p.storage);
  const opt = new SGD(params, { lr: 0.1 });
  const grads = makeGrads(shapes, 2);
  let before = runtime.dispatchCount;
  opt.zeroGrad();
  if (runtime.dispatchCount - before !== 1) throw new Error("zeroGrad is one dispatch");
  backwardWithGrads(params, grads);
  before = runtime.dispatchCount;
  opt.step();
  if (runtime.dispatchCount - before !== 1) {
    throw new Error(`a step took ${runtime.dispatchCount - before} dispatches`);
  }
  params.forEach((p, k) => {
    if (p.storage !== storages[k]) throw new Error(`parameter ${k} changed storage`);
  });
  (await readAll(params)).forEach((got, k) =>
    assertClose(got, values[k].map((v, i) => v - 0.1 * grads[k][i]), { atol: 1e-7 })
  );
  // Values written into a parameter between steps (e.g. a loaded checkpoint) are respected.
  T.tidy(() => copyInto(params[0], T.tensor(new Float32Array(7).fill(2), [7])));
  opt.step();
  assertClose(await params[0].toArray(), grads[0].map((g) => 2 - 0.1 * g), { atol: 1e-7 });
  opt.dispose();
  disposeAll(params);
});

Deno.test("gradients accumulate in the slab and zeroGrad clears them", async () => {
  const { params } = makeParams([[129]], 3);
  const opt = new SGD(params, { lr: 1 });
  const [g] = makeGrads([[129]], 4);
  backwardWithGrads(params, [g]);
  backwardWithGrads(params, [g]);
  assertClose(await params[0].grad!.toArray(), g.map((v) => 2 * v), { atol: 1e-7 });
  opt.zeroGrad();
  assertClose(await params[0].grad!.toArray(), new Float32Array(129), { atol: 0 });
  opt.dispose();
  if (params[0].grad !== null) throw new Error("dispose() must detach slab gradients");
  disposeAll(params);
});

Deno.test("replaced gradients are copied, null gradients skip the parameter", async () => {
  const shapes = [[3, 4], [5], [6]];
  const { params, values } = makeParams(shapes, 5);
  const opt = new AdamW(params, { lr: 0.01, weightDecay: 0.5 });
  const grads = makeGrads(shapes, 6);
  // A dense replacement, a transposed view, and none.
  params[0].grad = T.tidy(() => T.keep(T.transpose(T.tensor(grads[0], [4, 3]))));
  params[1].grad = T.tensor(grads[1], [5]);
  params[2].grad = null;
  opt.step();
  const got = await readAll(params);
  const transposed = Float32Array.from({ length: 12 }, (_, i) => grads[0][(i % 4) * 3 + (i >> 2)]);
  for (const [k, g] of [[0, transposed], [1, grads[1]]] as const) {
    // First AdamW step: p (1 - lr wd) - lr sign(g).
    const expected = values[k].map((v, i) => v * (1 - 0.005) - 0.01 * Math.sign(g[i]));
    assertClose(got[k], expected, { atol: 1e-6, what: `parameter ${k}` });
  }
  assertClose(got[2], values[2], { atol: 0, what: "skipped parameter" });
  opt.zeroGrad(); // installs slab views again, disposing the replacements
  backwardWithGrads(params, grads.map((g, k) => (k === 0 ? transposed : g)));
  opt.step();
  const after = await readAll(params);
  if (after[2].every((v, i) => v === values[2][i])) throw new Error("parameter 2 stayed frozen");
  opt.dispose();
  disposeAll(params);
});

Deno.test("forty parameter tensors are still one dispatch per step", async () => {
  const shapes = Array.from({ length: 40 }, (_, k) => [1 + (k % 5)]);
  const { params, values } = makeParams(shapes, 7);
  const opt = new SGD(params, { lr: 0.25, momentum: 0.5, maxGradNorm: 1e6 });
  const grads = makeGrads(shapes, 8);
  backwardWithGrads(params, grads);
  const before = runtime.dispatchCount;
  opt.step();
  if (runtime.dispatchCount - before !== 2) throw new Error("expected the norm and one update");
  (await readAll(params)).forEach((got, k) =>
    assertClose(got, values[k].map((v, i) => v - 0.25 * grads[k][i]), { atol: 1e-7 })
  );
  opt.dispose();
  disposeAll(params);
});

Deno.test("parameters sharing one buffer and groups with their own weight decay", async () => {
  const data = randomArray(10, 9);
  const base = T.tensor(data, [10]);
  const a = base.view([2, 2], [2, 1], 0);
  const b = base.view([6], [1], 4);
  a.requiresGrad = b.requiresGrad = true;
  const opt = new AdamW([{ params: [a] }, { params: [b], weightDecay: 0 }], {
    lr: 0.1,
    weightDecay: 1,
  });
  const ga = randomArray(4, 10), gb = randomArray(6, 11);
  backwardWithGrads([a, b], [ga, gb]);
  opt.step();
  const got = await base.toArray();
  const expected = Array.from(
    data,
    (v, i) => i < 4 ? v * 0.9 - 0.1 * Math.sign(ga[i]) : v - 0.1 * Math.sign(gb[i - 4]),
  );
  assertClose(got, expected, { atol: 1e-6 });
  opt.dispose();
  disposeAll([a, b, base]);
});

Deno.test("bad parameters, gradients and schedules raise one clear line", () => {
  const { params } = makeParams([[3], [4]], 12);
  const frozen = T.tensor([1, 2]);
  const base = T.tensor(new Float32Array(6), [6]);
  const overlapA = base.view([4], [1], 0), overlapB = base.view([4], [1], 2);
  overlapA.requiresGrad = overlapB.requiresGrad = true;
  const expectError = (f: () => unknown, fragment: string) => {
    let message = "";
    try {
      f();
    } catch (e) {
      message = (e as Error).message;
    }
    if (!message.includes(fragment) || message.includes("\n")) {
      throw new Error(`expected "${fragment}", got "${message}"`);
    }
  };
  expectError(() => new SGD([], { lr: 1 }), "SGD: needs at least one parameter");
  expectError(() => new SGD([frozen], { lr: 1 }), "parameter 0 [2] must be a dense f32 tensor");
  expectError(() => new SGD([params[0], params[0]], { lr: 1 }), "parameter 1 [3] is listed twice");
  expectError(() => new SGD([overlapA, overlapB], { lr: 1 }), "overlaps parameter 0");
  expectError(
    () => new SGD(params, { lr: 1, maxGradNorm: 0 }),
    "maxGradNorm must be a positive number, got 0",
  );
  expectError(() => new SGD(params, { lr: 1, momentum: 1 }), "momentum must be in [0, 1)");

  const opt = new SGD(params, { lr: (step) => (step === 0 ? 0.1 : NaN) });
  params[1].grad = T.tensor([1, 2, 3]);
  expectError(() => opt.step(), "the .grad of parameter 1 [4] is Tensor(f32 [3])");
  opt.zeroGrad();
  opt.step();
  expectError(() => opt.step(), "the learning rate at step 1 is NaN");
  opt.dispose();
  expectError(() => opt.step(), "the optimizer was disposed");
  disposeAll([...params, frozen, overlapA, overlapB, base]);
});
