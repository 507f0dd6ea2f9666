/**
 * What figures call things: fitted laws written at three significant digits, and the human
 * names of the experiments' variants (`post-ln` → `post-LN`).
 *
 * @module
 */
import { LADDER } from "../lecun/config.ts";
import { formatNumber } from "../plot/format.ts";

/**
 * An additive constant of a law as figures print it: `0` when it is below a millionth of the
 * law's typical value `scale` (a fit that drove it to its bound), else three digits.
 *
 * @example
 * ```ts
 * additive(1.831e-13, 4.5); // "0"
 * additive(1.817, 2.5); // "1.82"
 * ```
 */
export function additive(value: number, scale: number): string {
  return Math.abs(value) < 1e-6 * Math.abs(scale) ? "0" : formatNumber(value);
}

/**
 * Kaplan's L(X) = (X_c/X)^α as `L = (1.23×10⁵/N)^0.0561`.
 *
 * @example
 * ```ts
 * kaplanEquation("N", 1.23e5, 0.0561); // "L = (1.23×10⁵/N)^0.0561"
 * ```
 */
export function kaplanEquation(variable: string, constant: number, exponent: number): string {
  return `L = (${formatNumber(constant)}/${variable})^${formatNumber(exponent)}`;
}

/**
 * Chinchilla's L(N, D) = E + A/N^α + B/D^β with its constants.
 *
 * @example
 * ```ts
 * chinchillaText({ E: 1.817, A: 477.8, B: 2143, alpha: 0.347, beta: 0.367 }, 2.5);
 * // "L = 1.82 + 478/N^0.347 + 2140/D^0.367"
 * ```
 */
export function chinchillaText(
  p: { E: number; A: number; B: number; alpha: number; beta: number },
  scale: number,
): string {
  return `L = ${additive(p.E, scale)} + ${formatNumber(p.A)}/N^${formatNumber(p.alpha)} + ` +
    `${formatNumber(p.B)}/D^${formatNumber(p.beta)}`;
}

/**
 * A power law with an irreducible term, y = c + a·x^(−b), as `err = 0.94 + 151·D^−0.421`.
 *
 * @example
 * ```ts
 * powerLawText("err", "D", { a: 151, b: 0.421, c: 0.94 }, 3); // "err = 0.94 + 151·D^−0.421"
 * ```
 */
export function powerLawText(
  y: string,
  x: string,
  p: { a: number; b: number; c: number },
  scale: number,
): string {
  return `${y} = ${additive(p.c, scale)} + ${formatNumber(p.a)}·${x}^${formatNumber(-p.b)}`;
}

/** What each `gpt-ablations` variant changes, as figures name it. */
const ABLATION_LABELS: Record<string, string> = {
  baseline: "baseline (pre-LN, GELU, warmup + cosine, tied head)",
  "post-ln": "post-LN instead of pre-LN",
  relu: "ReLU instead of GELU",
  "constant-lr": "constant learning rate instead of warmup + cosine",
  "untied-head": "untied output head",
};

/**
 * The figure label of an ablation variant (its name when unknown).
 *
 * @example
 * ```ts
 * ablationLabel("post-ln"); // "post-LN instead of pre-LN"
 * ```
 */
export function ablationLabel(variant: string): string {
  return ABLATION_LABELS[variant] ?? variant;
}

/** The ladder's recipes as figures name them (each adds to the one before). */
const LECUN_LABELS: Record<string, string> = {
  baseline: "LeCun 1989 baseline (tanh, MSE, SGD)",
  ce: "+ softmax & cross-entropy",
  adamw: "+ AdamW, lr 3e-4 → 1e-4",
  augment: "+ ±1 px shift augmentation",
  modern: "+ ReLU & dropout 0.25 (modern)",
};

/**
 * The recipe of a LeCun variant: `modern-50k` is the `modern` recipe on more digits.
 *
 * @example
 * ```ts
 * lecunRecipe("modern-50k"); // "modern"
 * ```
 */
export function lecunRecipe(variant: string): string {
  return variant.replace(/-50k$/, "");
}

/**
 * The figure label of a LeCun variant's recipe (its name when unknown).
 *
 * @example
 * ```ts
 * lecunRecipeLabel("modern-50k"); // "+ ReLU & dropout 0.25 (modern)"
 * ```
 */
export function lecunRecipeLabel(variant: string): string {
  return LECUN_LABELS[lecunRecipe(variant)] ?? variant;
}

/**
 * The position of a variant's recipe on the ladder (unknown recipes last).
 *
 * @example
 * ```ts
 * lecunRecipeRank("adamw"); // 2
 * ```
 */
export function lecunRecipeRank(variant: string): number {
  const k = LADDER.findIndex((v) => v.name === lecunRecipe(variant));
  return k < 0 ? LADDER.length : k;
}
