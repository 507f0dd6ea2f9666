import { assertClose, gpu } from "../helpers/check.ts";
import { clipFactorReference, sgdReference } from "../../kernels/optim.ts";
import { SGD } from "../../lib/optim/mod.ts";
import {
  AWKWARD_SHAPES,
  backwardWithGrads,
  disposeAll,
  makeGrads,
  makeParams,
  readAll,
} from "./params.ts";

await gpu();

Deno.test("SGD with momentum and weight decay follows PyTorch's formula", async () => {
  for (const momentum of [0, 0.9]) {
    const h = { lr: 0.03, momentum, weightDecay: 0.01 };
    const { params, values } = makeParams(AWKWARD_SHAPES, 1);
    const opt = new SGD(params, h);
    const p = values.map((v) => Float64Array.from(v));
    const b = values.map((v) => new Float64Array(v.length));
    for (let s = 0; s < 3; s++) {
      const grads = makeGrads(AWKWARD_SHAPES, 20 + s);
      opt.zeroGrad();
      backwardWithGrads(params, grads);
      opt.step();
      p.forEach((pk, k) => sgdReference(pk, grads[k], b[k], h));
    }
    (await readAll(params)).forEach((got, k) =>
      assertClose(got, p[k], { atol: 1e-6, rtol: 0, what: `momentum ${momentum} param ${k}` })
    );
    opt.dispose();
    disposeAll(params);
  }
});

Deno.test("clipping scales exactly when the global norm exceeds the maximum", async () => {
  const shapes = [[7], [33, 5], [129]];
  const grads = makeGrads(shapes, 3);
  let sq = 0;
  for (const g of grads) for (const v of g) sq += v * v;
  const norm = Math.sqrt(sq);
  for (const maxGradNorm of [norm / 3, norm * 1.01, norm * 5]) {
    const { params, values } = makeParams(shapes, 4);
    const lr = 0.5;
    const opt = new SGD(params, { lr, maxGradNorm });
    opt.zeroGrad();
    backwardWithGrads(params, grads);
    assertClose([await opt.gradNorm()], [norm], { atol: 0, rtol: 1e-6, what: "gradNorm()" });
    opt.step();
    const factor = clipFactorReference(norm, maxGradNorm);
    if ((factor < 1) !== (maxGradNorm < norm)) throw new Error("reference clip factor");
    const got = await readAll(params);
    got.forEach((pk, k) => {
      const expected = Float64Array.from(values[k], (v, i) => v - lr * factor * grads[k][i]);
      assertClose(pk, expected, { atol: 2e-7, rtol: 0, what: `max ${maxGradNorm} param ${k}` });
    });
    // The effective scale of the update, measured on the largest gradient element.
    const [k, i] = [
      2,
      grads[2].reduce((best, v, j, a) => (Math.abs(v) > Math.abs(a[best]) ? j : best), 0),
    ];
    const scale = (values[k][i] - got[k][i]) / (lr * grads[k][i]);
    if (maxGradNorm > norm && Math.abs(scale - 1) > 1e-6) {
      throw new Error(`no clipping expected below the maximum, got scale ${scale}`);
    }
    if (maxGradNorm < norm && Math.abs(scale - maxGradNorm / norm) > 1e-5) {
      throw new Error(`scale ${scale}, expected ${maxGradNorm / norm}`);
    }
    opt.dispose();
    disposeAll(params);
  }
});
