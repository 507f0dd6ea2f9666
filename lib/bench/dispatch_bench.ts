/**
 * Per-dispatch overhead: many tiny dispatches recorded into one submission (what a training
 * step pays per kernel), one dispatch per submission waited on each time (what a
 * readback-per-op program pays), and the wait alone (the floor set by how often the WebGPU
 * implementation polls the device; about 10 ms in Deno 2.9).
 *
 * @module
 */
import { fillInPlace } from "../../kernels/map.ts";
import { empty } from "../tensor/tensor.ts";
import type { BenchResult, BenchSuite } from "./suite.ts";
import { measure, median } from "./timing.ts";

/** Tiny dispatches per batched iteration. */
const BATCH = 1000;
/** Submissions timed one by one (after the batched run has warmed the kernel up). */
const SUBMITS = 200;

function overheadRow(mode: string, label: string, msPerDispatch: number): BenchResult {
  const us = msPerDispatch * 1000;
  return {
    name: "dispatch",
    label,
    ms: msPerDispatch,
    rate: { value: us, unit: "us/dispatch" },
    fields: { mode, us },
  };
}

/** Microseconds per dispatch, batched and one per submission. */
export const dispatchSuite: BenchSuite = {
  name: "dispatch",
  description: "per-dispatch overhead in microseconds (batched, one per submission, wait alone)",
  async *run({ gpu }) {
    const target = empty([1], "f32", gpu);
    try {
      const batched = await measure(gpu, () => {
        for (let i = 0; i < BATCH; i++) fillInPlace(target, i);
      });
      yield overheadRow("batched", `${BATCH} tiny dispatches, one submission`, batched.ms / BATCH);
      const waits: number[] = [];
      for (let i = 0; i < SUBMITS; i++) {
        const start = performance.now();
        fillInPlace(target, i);
        await gpu.sync();
        waits.push(performance.now() - start);
      }
      yield overheadRow("submit", "1 dispatch per submission + wait", median(waits));
      const idle: number[] = [];
      for (let i = 0; i < SUBMITS / 4; i++) {
        const start = performance.now();
        await gpu.sync();
        idle.push(performance.now() - start);
      }
      yield overheadRow("wait", "wait alone (gpu.sync, nothing recorded)", median(idle));
    } finally {
      target.dispose();
    }
  },
};
