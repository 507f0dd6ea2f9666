import assert from "node:assert/strict";
import { assertClose, gpu } from "../helpers/check.ts";
import { adamwReference, clipFactorReference, sgdReference } from "../../kernels/optim.ts";
import { adamW, linearLr, Optimizer, sgd } from "../../lib/optim/mod.ts";
import { AWKWARD_SHAPES, backwardWithGrads, makeGrads, makeSlab, readAll } from "./params.ts";

const runtime = await gpu();

const HYPER = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };

/** The global L2 norm of one run's gradients. */
function runNorm(grads: readonly Float32Array[][], r: number): number {
  let sq = 0;
  for (const g of grads) for (const v of g[r]) sq += v * v;
  return Math.sqrt(sq);
}

/** Float64 AdamW of run `r` for `steps` steps of the given gradients (odd parameters: no decay). */
function adamwRun(
  values: readonly Float32Array[][],
  gradsPerStep: readonly Float32Array[][][],
  r: number,
  h: typeof HYPER & { maxGradNorm?: number },
  lrAt: (step: number) => number = () => h.lr,
): Float64Array[] {
  const p = values.map((v) => Float64Array.from(v[r]));
  const m = p.map((v) => new Float64Array(v.length));
  const v2 = p.map((v) => new Float64Array(v.length));
  gradsPerStep.forEach((grads, s) => {
    const clip = h.maxGradNorm ? clipFactorReference(runNorm(grads, r), h.maxGradNorm) : 1;
    p.forEach((pk, k) => {
      const g = Float64Array.from(grads[k][r], (x) => x * clip);
      const weightDecay = k % 2 === 0 ? h.weightDecay : 0;
      adamwReference(pk, g, m[k], v2[k], s + 1, { ...h, weightDecay, lr: lrAt(s) });
    });
  });
  return p;
}

Deno.test("one AdamW step equals the float64 reference to 1e-6, in two dispatches", async () => {
  for (const maxGradNorm of [undefined, 2]) {
    const { slab, values } = makeSlab(AWKWARD_SHAPES, 1, 1);
    const grads = makeGrads(AWKWARD_SHAPES, 1, 2);
    const opt = adamW(slab, { ...HYPER, maxGradNorm });
    backwardWithGrads(slab, grads);
    const before = runtime.dispatchCount;
    opt.step();
    assert.equal(runtime.dispatchCount - before, 2, "norms + update");
    const expected = adamwRun(values, [grads], 0, { ...HYPER, maxGradNorm });
    (await readAll(slab)).forEach((g, k) =>
      assertClose(g[0], expected[k], {
        atol: 1e-6,
        rtol: 0,
        what: `param ${k} clip ${maxGradNorm}`,
      })
    );
    if (maxGradNorm) assert.ok(clipFactorReference(runNorm(grads, 0), maxGradNorm) < 0.2);
    assertClose(await slab.grads.toArray(), new Float32Array(slab.total), {
      atol: 0,
      what: "a step zeroes the gradients it consumed",
    });
    opt.dispose();
    slab.dispose();
  }
});

Deno.test("five AdamW steps with a schedule and clipping track the reference", async () => {
  const { slab, values } = makeSlab(AWKWARD_SHAPES, 1, 3);
  const schedule = linearLr(1e-2, 1e-3, 4);
  const opt = adamW(slab, { ...HYPER, lr: schedule, maxGradNorm: 20 });
  const gradsPerStep: Float32Array[][][] = [];
  for (let s = 0; s < 5; s++) {
    const grads = makeGrads(AWKWARD_SHAPES, 1, 10 + s, -s - 0.5, s + 0.5);
    gradsPerStep.push(grads);
    backwardWithGrads(slab, grads);
    opt.step();
  }
  assert.equal(opt.stepCount, 5);
  const clipped = gradsPerStep.filter((g) => runNorm(g, 0) > 20).length;
  assert.ok(clipped > 0 && clipped < 5, `${clipped} of 5 steps clipped`);
  const expected = adamwRun(values, gradsPerStep, 0, { ...HYPER, maxGradNorm: 20 }, schedule);
  (await readAll(slab)).forEach((g, k) =>
    assertClose(g[0], expected[k], { atol: 1e-5, rtol: 0, what: `param ${k}` })
  );
  opt.dispose();
  slab.dispose();
});

Deno.test("SGD with momentum and weight decay follows PyTorch's formula", async () => {
  for (const momentum of [0, 0.9]) {
    const h = { lr: 0.03, momentum, weightDecay: 0.01 };
    const { slab, values } = makeSlab(AWKWARD_SHAPES, 1, 1);
    const opt = sgd(slab, h);
    const p = values.map((v) => Float64Array.from(v[0]));
    const b = p.map((v) => new Float64Array(v.length));
    for (let s = 0; s < 3; s++) {
      const grads = makeGrads(AWKWARD_SHAPES, 1, 20 + s);
      backwardWithGrads(slab, grads);
      opt.step();
      p.forEach((pk, k) =>
        sgdReference(pk, grads[k][0], b[k], { ...h, weightDecay: k % 2 === 0 ? h.weightDecay : 0 })
      );
    }
    (await readAll(slab)).forEach((got, k) =>
      assertClose(got[0], p[k], { atol: 1e-6, rtol: 0, what: `momentum ${momentum} param ${k}` })
    );
    opt.dispose();
    slab.dispose();
  }
});

Deno.test("runs have their own lr, decay and clip; a stopped run stays as it is", async () => {
  const shapes = [[7], [33, 5], [129], [1000]];
  const runs = 3;
  const { slab, values } = makeSlab(shapes, runs, 5);
  const settings = [
    { ...HYPER, lr: 1e-2, maxGradNorm: 1 },
    { ...HYPER, lr: 3e-3, weightDecay: 0.5 },
    { ...HYPER, lr: 1e-1, maxGradNorm: 1e6 },
  ];
  const opt = new Optimizer(slab, "adamw", settings);
  const gradsPerStep: Float32Array[][][] = [];
  for (let s = 0; s < 3; s++) {
    const grads = makeGrads(shapes, runs, 30 + s);
    gradsPerStep.push(grads);
    backwardWithGrads(slab, grads);
    if (s === 2) opt.setLive(1, false);
    opt.step();
  }
  const norms = runNorm(gradsPerStep[0], 0);
  assert.ok(norms > 1, "run 0 clips");
  const got = await readAll(slab);
  for (let r = 0; r < runs; r++) {
    const steps = r === 1 ? gradsPerStep.slice(0, 2) : gradsPerStep;
    const expected = adamwRun(values, steps, r, settings[r]);
    got.forEach((g, k) =>
      assertClose(g[r], expected[k], { atol: 1e-5, rtol: 0, what: `run ${r} param ${k}` })
    );
  }
  opt.dispose();
  slab.dispose();
});

Deno.test("gradNorms reads each run's global norm; clipping scales exactly", async () => {
  const shapes = [[7], [33, 5], [129]];
  const grads = makeGrads(shapes, 2, 3);
  const norms = [0, 1].map((r) => runNorm(grads, r));
  const maxGradNorm = norms[0] / 3;
  const { slab, values } = makeSlab(shapes, 2, 4);
  const lr = 0.5;
  const opt = sgd(slab, { lr, maxGradNorm });
  backwardWithGrads(slab, grads);
  assertClose(await opt.gradNorms(), norms, { atol: 0, rtol: 1e-6, what: "gradNorms()" });
  opt.step();
  const got = await readAll(slab);
  for (let r = 0; r < 2; r++) {
    const factor = clipFactorReference(norms[r], maxGradNorm);
    got.forEach((p, k) =>
      assertClose(
        p[r],
        Float64Array.from(values[k][r], (v, i) => v - lr * factor * grads[k][r][i]),
        { atol: 3e-7, rtol: 0, what: `run ${r} param ${k}` },
      )
    );
  }
  opt.dispose();
  slab.dispose();
});

Deno.test("parameters are updated in place, and bad settings are one clear line", () => {
  const { slab } = makeSlab([[3]], 2, 5);
  const p = slab.param("p0");
  const storage = p.storage;
  const opt = sgd(slab, { lr: 0.1 });
  opt.step();
  assert.equal(slab.param("p0").storage, storage);
  opt.dispose();
  const cases: [() => unknown, RegExp][] = [
    [() => adamW(slab, { lr: 1e-3, beta1: 1 }), /AdamW run 0: beta1 must be in \[0, 1\), got 1/],
    [() => adamW(slab, { lr: 1e-3, beta2: -0.1 }), /beta2 must be in \[0, 1\), got -0.1/],
    [() => adamW(slab, { lr: 1e-3, eps: 0 }), /eps must be positive, got 0/],
    [() => adamW(slab, { lr: NaN }), /lr must be a finite number >= 0, got NaN/],
    [() => sgd(slab, [{ lr: 1 }]), /1 run settings for a slab of 2 runs/],
    [() => new Optimizer(slab, "adam" as "adamw", { lr: 1 }), /rule must be "adamw" or "sgd"/],
  ];
  for (const [f, pattern] of cases) assert.throws(f, pattern);
  const bad = adamW(slab, { lr: () => -1 });
  assert.throws(() => bad.step(), /learning rate of run 0 at step 0 is -1/);
  bad.dispose();
  slab.dispose();
});
