import assert from "node:assert/strict";
import { Mt19937 } from "../../lib/random/mt19937.ts";

Deno.test("MT19937 gives the reference outputs for the default seed 5489", () => {
  const rng = new Mt19937(5489);
  assert.deepEqual([rng.nextU32(), rng.nextU32(), rng.nextU32()], [
    3499211612,
    581869302,
    3890346734,
  ]);
});

Deno.test("permutations equal numpy's after np.random.seed(1337)", () => {
  // np.random.seed(1337); np.random.permutation(60000)[:8]; np.random.permutation(10000)[:8]
  const rng = new Mt19937(1337);
  assert.deepEqual(
    Array.from(rng.permutation(60000).subarray(0, 8)),
    [39385, 28837, 35708, 53829, 27273, 16211, 56130, 13420],
  );
  assert.deepEqual(
    Array.from(rng.permutation(10000).subarray(0, 8)),
    [6645, 4938, 6348, 2409, 5710, 5051, 7827, 9621],
  );
  const p = new Mt19937(3).permutation(1000);
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
});
