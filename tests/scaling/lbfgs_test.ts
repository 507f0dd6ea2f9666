import assert from "node:assert/strict";
import { minimizeLbfgs } from "../../lib/scaling/mod.ts";

/** The n-dimensional Rosenbrock function, minimum 0 at (1, …, 1). */
function rosenbrock(x: Float64Array, gradient: Float64Array): number {
  let value = 0;
  gradient.fill(0);
  for (let i = 0; i < x.length - 1; i++) {
    const a = x[i + 1] - x[i] * x[i];
    const b = 1 - x[i];
    value += 100 * a * a + b * b;
    gradient[i] += -400 * a * x[i] - 2 * b;
    gradient[i + 1] += 200 * a;
  }
  return value;
}

Deno.test("L-BFGS minimizes the Rosenbrock function in 2 and 10 dimensions", () => {
  for (const n of [2, 10]) {
    const start = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.2 : 1));
    const result = minimizeLbfgs(rosenbrock, start, { gradientTolerance: 1e-9 });
    assert.equal(result.stop, "gradient", `stopped by ${result.stop} in ${n} dimensions`);
    for (const xi of result.x) assert.ok(Math.abs(xi - 1) < 1e-6, `x = ${result.x}`);
    assert.ok(result.value < 1e-12);
    assert.ok(result.iterations < 200, `${result.iterations} iterations`);
  }
});

Deno.test("L-BFGS solves an ill-conditioned quadratic", () => {
  const scales = [1, 10, 100, 1000, 1e4];
  const target = [3, -1, 0.5, 2, -4];
  const result = minimizeLbfgs((x, g) => {
    let value = 0;
    for (let i = 0; i < x.length; i++) {
      const r = x[i] - target[i];
      value += 0.5 * scales[i] * r * r;
      g[i] = scales[i] * r;
    }
    return value;
  }, [0, 0, 0, 0, 0]);
  result.x.forEach((xi, i) => assert.ok(Math.abs(xi - target[i]) < 1e-8, `x[${i}] = ${xi}`));
});

Deno.test("L-BFGS stops on the relative-decrease rule when asked to", () => {
  const result = minimizeLbfgs(rosenbrock, [-1.2, 1], {
    relativeTolerance: 1e-2,
    gradientTolerance: 0,
  });
  assert.equal(result.stop, "value");
  assert.ok(result.value > 1e-6, "a loose tolerance should stop short of the minimum");
});

Deno.test("L-BFGS rejects a start where the objective is not finite", () => {
  assert.throws(
    () =>
      minimizeLbfgs((x, g) => {
        g[0] = 1;
        return Math.log(x[0]);
      }, [-1]),
    { message: /objective is not finite at the start point/ },
  );
});
