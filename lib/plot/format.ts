/**
 * Numbers as figures print them: three significant digits, powers of ten as `×10⁵`, a true
 * minus sign; the same for axis tick labels (as a Vega expression) and for legend orders that
 * follow values, not spelling.
 *
 * @module
 */

const SUPERSCRIPT: Record<string, string> = {
  "0": "⁰",
  "1": "¹",
  "2": "²",
  "3": "³",
  "4": "⁴",
  "5": "⁵",
  "6": "⁶",
  "7": "⁷",
  "8": "⁸",
  "9": "⁹",
  "-": "⁻",
};

/**
 * An integer as superscript digits: `-13` → `⁻¹³`.
 *
 * @example
 * ```ts
 * superscript(-13); // "⁻¹³"
 * ```
 */
export function superscript(exponent: number): string {
  return String(exponent).replace(/[-0-9]/g, (c) => SUPERSCRIPT[c]);
}

function trimZeros(text: string): string {
  return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}

/**
 * A number at `digits` significant digits (default 3) as a figure prints it: plain between
 * 0.001 and 10⁴ (`0.0561`, `2.30`, `478`, `2140`), else `1.83×10⁻¹³` (a mantissa of 1 or with
 * trailing zeros shortened: `10⁵`, `2×10⁹`); negatives with `−`.
 *
 * @example
 * ```ts
 * formatNumber(1.831e-13); // "1.83×10⁻¹³"
 * formatNumber(477.83); // "478"
 * formatNumber(-0.35123); // "−0.351"
 * ```
 */
export function formatNumber(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  const sign = value < 0 ? "−" : "";
  const size = Math.abs(value);
  if (size >= 1e4 || size < 1e-3) {
    const [mantissa, exponent] = size.toExponential(digits - 1).split("e");
    const m = trimZeros(mantissa);
    return `${sign}${m === "1" ? "" : `${m}×`}10${superscript(Number(exponent))}`;
  }
  const rounded = Number(size.toPrecision(digits));
  return sign +
    (rounded >= 10 ** (digits - 1) ? String(Math.round(rounded)) : rounded.toPrecision(digits));
}

/** A Vega test: is the tick 1, 2 or 5 times a power of ten? */
const MAJOR_TICK = "test(/^[125](e|$)/, format(datum.value, '.1~e'))";

/**
 * A Vega expression writing `datum.value` as {@link formatNumber} does past 10⁴ (`2×10⁹`,
 * `1.07×10¹⁰`), at `digits` significant digits.
 *
 * @example
 * ```ts
 * const x = { field: "budget", type: "quantitative", axis: { labelExpr: scientificLabels(3) } };
 * ```
 */
export function scientificLabels(digits: number): string {
  const spec = `.${digits - 1}~e`;
  let expr =
    `replace(replace(format(datum.value, '${spec}'), /^1e/, '10^'), /^([0-9.]+)e/, '$1×10^')`;
  expr = `replace(${expr}, /\\^\\+?/, '^')`;
  for (const [digit, sup] of Object.entries(SUPERSCRIPT)) {
    const pattern = digit === "-" ? "\\^(.*)-" : `\\^([^${digit}]*)${digit}`;
    // Each pass turns one occurrence of the digit after the caret into its superscript; two
    // passes cover exponents with a repeated digit (10¹¹).
    expr = `replace(replace(${expr}, /${pattern}/, '^$1${sup}'), /${pattern}/, '^$1${sup}')`;
  }
  return `replace(${expr}, /\\^/, '')`;
}

/**
 * A Vega expression for tick labels in powers of ten: `10⁹`, `2×10⁹`, `5×10⁹` (for log axes of
 * FLOPs, parameters or tokens); ticks at other multiples stay unlabelled. Use as
 * `axis: { labelExpr: POWER_OF_TEN_LABELS }`.
 *
 * @example
 * ```ts
 * const x = { field: "flops", type: "quantitative", axis: { labelExpr: POWER_OF_TEN_LABELS } };
 * ```
 */
export const POWER_OF_TEN_LABELS = `${MAJOR_TICK} ? ${scientificLabels(2)} : ''`;

/**
 * A percent tick label for values already in percent: `0.01%`, `5%`.
 *
 * @example
 * ```ts
 * logAxis(errors, percentLabel);
 * ```
 */
export function percentLabel(value: number): string {
  return `${Number(value.toPrecision(2))}%`;
}

/**
 * Tick values for a log axis over `[low, high]` (both positive): 1, 2 and 5 times powers of ten,
 * or only powers of ten (every second, third, … one) when that would make more than
 * `maxTicks` (default 8).
 *
 * @example
 * ```ts
 * logTicks(0.03, 12); // [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10]
 * logTicks(1e17, 1e22); // [1e17, 1e18, 1e19, 1e20, 1e21, 1e22]
 * ```
 */
export function logTicks(low: number, high: number, maxTicks = 8): number[] {
  if (!(low > 0 && high >= low)) {
    throw new RangeError(`log ticks need 0 < low ≤ high, got ${low}, ${high}`);
  }
  const within = (mantissas: number[], every: number) => {
    const ticks: number[] = [];
    for (let e = Math.floor(Math.log10(low)); e <= Math.ceil(Math.log10(high)); e++) {
      if (e % every !== 0) continue;
      for (const m of mantissas) {
        const value = Number((m * 10 ** e).toPrecision(12));
        if (value >= low * (1 - 1e-9) && value <= high * (1 + 1e-9)) ticks.push(value);
      }
    }
    return ticks;
  };
  const dense = within([1, 2, 5], 1);
  if (dense.length <= maxTicks) return dense;
  for (let every = 1;; every++) {
    const ticks = within([1], every);
    if (ticks.length <= maxTicks) return ticks;
  }
}

/**
 * A tick label in powers of ten from 10³ up and under 0.01 (`2×10⁹`, `10⁴`, `5×10⁻³`), plain
 * between (`0.5`, `20`, `500`), at two significant digits.
 *
 * @example
 * ```ts
 * [2e9, 1e4, 500, 0.05].map(tickLabel); // ["2×10⁹", "10⁴", "500", "0.05"]
 * ```
 */
export function tickLabel(value: number): string {
  if (value >= 1e3 || (value > 0 && value < 1e-2)) {
    const [mantissa, exponent] = value.toExponential(1).split("e");
    const m = trimZeros(mantissa);
    return `${m === "1" ? "" : `${m}×`}10${superscript(Number(exponent))}`;
  }
  return String(Number(value.toPrecision(2)));
}

/**
 * Axis properties of a log axis over `values`: ticks and grid lines at {@link logTicks},
 * labelled by `label` (default {@link tickLabel}); when the values span too little for two such
 * ticks, Vega's own ticks labelled at three digits.
 *
 * @example
 * ```ts
 * const x = { field: "n", type: "quantitative", scale: { type: "log" }, axis: logAxis(sizes) };
 * ```
 */
export function logAxis(
  values: readonly number[],
  label: (tick: number) => string = tickLabel,
): Record<string, unknown> {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return {};
  const ticks = logTicks(Math.min(...positive), Math.max(...positive));
  return ticks.length >= 2
    ? {
      values: ticks,
      labelExpr: labelLookup(Object.fromEntries(ticks.map((t) => [String(t), label(t)]))),
    }
    : { labelExpr: scientificLabels(3), tickCount: 4 };
}

/**
 * A Vega expression showing each legend or axis value by its label in `labels` (values without
 * one keep their own text): short keys in the data, human labels on the page.
 *
 * @example
 * ```ts
 * const legend = { labelExpr: labelLookup({ adamw: "+ AdamW" }) };
 * ```
 */
export function labelLookup(labels: Readonly<Record<string, string>>): string {
  const cases = Object.entries(labels).map(([value, label]) =>
    `${JSON.stringify(value)}: ${JSON.stringify(label)}`
  );
  return `{${cases.join(", ")}}[datum.value] || datum.label`;
}

const COLLATOR = new Intl.Collator("en", { numeric: true });

/**
 * Distinct labels in natural order (numbers inside them compared as numbers: `1×8` before
 * `1×32`, `N = 888` before `N = 3,312`).
 *
 * @example
 * ```ts
 * naturalOrder(["1×32", "1×8", "2×16"]); // ["1×8", "1×32", "2×16"]
 * ```
 */
export function naturalOrder(labels: Iterable<string>): string[] {
  // Thousands separators would split a number in two ("3,312" as 3 then 312).
  const key = (label: string) => label.replace(/(?<=\d),(?=\d{3}(?!\d))/g, "");
  return [...new Set(labels)].sort((a, b) => COLLATOR.compare(key(a), key(b)));
}

/**
 * Labels ordered by a number each belongs to (e.g. budgets by FLOPs), distinct, ascending.
 *
 * @example
 * ```ts
 * orderByValue([["1.3×10¹⁰", 1.3e10], ["2×10⁹", 2e9]]); // ["2×10⁹", "1.3×10¹⁰"]
 * ```
 */
export function orderByValue(pairs: Iterable<readonly [string, number]>): string[] {
  const first = new Map<string, number>();
  for (const [label, value] of pairs) if (!first.has(label)) first.set(label, value);
  return [...first.entries()].sort((a, b) => a[1] - b[1]).map(([label]) => label);
}

/**
 * A count (parameters, tokens, digits) in full with thousands separators: `39,520`.
 *
 * @example
 * ```ts
 * formatCount(39520); // "39,520"
 * ```
 */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}
