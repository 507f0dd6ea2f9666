import { assertClose, gpu } from "../helpers/check.ts";
import { adamwReference, clipFactorReference } from "../../kernels/optim.ts";
import { AdamW, linearLr } from "../../lib/optim/mod.ts";
import {
  AWKWARD_SHAPES,
  backwardWithGrads,
  disposeAll,
  makeGrads,
  makeParams,
  readAll,
} from "./params.ts";

const runtime = await gpu();

const HYPER = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };

function globalNorm(grads: readonly Float32Array[]): number {
  let sq = 0;
  for (const g of grads) for (const v of g) sq += v * v;
  return Math.sqrt(sq);
}

/** Float64 AdamW over all parameters for `steps` steps of the given gradients. */
function reference(
  values: readonly Float32Array[],
  gradsPerStep: readonly Float32Array[][],
  lrAt: (step: number) => number,
  maxGradNorm?: number,
): Float64Array[] {
  const p = values.map((v) => Float64Array.from(v));
  const m = values.map((v) => new Float64Array(v.length));
  const v2 = values.map((v) => new Float64Array(v.length));
  gradsPerStep.forEach((grads, s) => {
    const clip = maxGradNorm ? clipFactorReference(globalNorm(grads), maxGradNorm) : 1;
    p.forEach((pk, k) => {
      const g = Float64Array.from(grads[k], (x) => x * clip);
      adamwReference(pk, g, m[k], v2[k], s + 1, { ...HYPER, lr: lrAt(s) });
    });
  });
  return p;
}

Deno.test("one AdamW step equals the float64 reference to 1e-6", async () => {
  for (const maxGradNorm of [undefined, 2]) {
    const { params, values } = makeParams(AWKWARD_SHAPES, 1);
    const grads = makeGrads(AWKWARD_SHAPES, 2);
    const opt = new AdamW(params, { ...HYPER, maxGradNorm });
    opt.zeroGrad();
    backwardWithGrads(params, grads);
    const before = runtime.dispatchCount;
    opt.step();
    const dispatches = runtime.dispatchCount - before;
    const expected = reference(values, [grads], () => HYPER.lr, maxGradNorm);
    const got = await readAll(params);
    got.forEach((g, k) =>
      assertClose(g, expected[k], {
        atol: 1e-6,
        rtol: 0,
        what: `param ${k} [${AWKWARD_SHAPES[k]}] clip ${maxGradNorm}`,
      })
    );
    if (maxGradNorm && clipFactorReference(globalNorm(grads), maxGradNorm) > 0.2) {
      throw new Error("the clipped case must actually clip");
    }
    if (dispatches !== (maxGradNorm ? 2 : 1)) {
      throw new Error(`a step recorded ${dispatches} dispatches, expected one update (+ norm)`);
    }
    opt.dispose();
    disposeAll(params);
  }
});

Deno.test("five AdamW steps with a schedule and clipping track the reference", async () => {
  const { params, values } = makeParams(AWKWARD_SHAPES, 3);
  const schedule = linearLr(1e-2, 1e-3, 4);
  const opt = new AdamW(params, { ...HYPER, lr: schedule, maxGradNorm: 20 });
  const gradsPerStep: Float32Array[][] = [];
  for (let s = 0; s < 5; s++) {
    const grads = makeGrads(AWKWARD_SHAPES, 10 + s, -s - 0.5, s + 0.5);
    gradsPerStep.push(grads);
    opt.zeroGrad();
    backwardWithGrads(params, grads);
    opt.step();
  }
  if (opt.stepCount !== 5) throw new Error(`stepCount ${opt.stepCount}`);
  const expected = reference(values, gradsPerStep, schedule, 20);
  const clipped = gradsPerStep.filter((g) => globalNorm(g) > 20).length;
  if (clipped === 0 || clipped === 5) throw new Error(`${clipped} of 5 steps clipped`);
  (await readAll(params)).forEach((g, k) =>
    assertClose(g, expected[k], { atol: 1e-5, rtol: 0, what: `param ${k}` })
  );
  opt.dispose();
  disposeAll(params);
});

Deno.test("AdamW options are validated", () => {
  const { params } = makeParams([[3]], 5);
  const cases: [() => unknown, string][] = [
    [() => new AdamW(params, { lr: 1e-3, beta1: 1 }), "beta1 must be in [0, 1), got 1"],
    [() => new AdamW(params, { lr: 1e-3, beta2: -0.1 }), "beta2 must be in [0, 1), got -0.1"],
    [() => new AdamW(params, { lr: 1e-3, eps: 0 }), "eps must be positive, got 0"],
    [() => new AdamW(params, { lr: NaN }), "lr must be a finite number >= 0, got NaN"],
  ];
  for (const [f, fragment] of cases) {
    let message = "";
    try {
      (f() as AdamW).dispose();
    } catch (e) {
      message = (e as Error).message;
    }
    if (!message.includes(fragment)) throw new Error(`expected "${fragment}", got "${message}"`);
  }
  disposeAll(params);
});
