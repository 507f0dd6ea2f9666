/**
 * scalelab: reproduce deep-learning results and measure scaling laws on WebGPU.
 *
 * @module
 */
export * from "./gpu/mod.ts";
export * from "./random/mod.ts";
export * from "./ops/mod.ts";
export * from "../kernels/mod.ts";
export * from "./sweep/mod.ts";
export * from "./scaling/mod.ts";
export * from "./plot/mod.ts";
export * from "./data/mod.ts";
export * from "./nn/mod.ts";
export * from "./optim/mod.ts";
export * from "./train/mod.ts";
export * from "./analysis/mod.ts";
export * from "./lecun/mod.ts";
export * from "./bench/mod.ts";
export * from "./notebook/mod.ts";
