/**
 * Number formatting for equations and reports: four significant digits, exponent notation for
 * very large or small magnitudes.
 *
 * @module
 */

/**
 * Formats a fitted constant compactly: `1.817`, `477.2`, `2138`, `8.8e13`, `1.23e-4`.
 *
 * @example
 * ```ts
 * formatConstant(477.2391); // "477.2"
 * formatConstant(8.8e13); // "8.8e13"
 * ```
 */
export function formatConstant(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  const size = Math.abs(value);
  if (size === 0) return "0";
  if (size >= 1e6 || size < 1e-3) {
    const [mantissa, exponent] = value.toExponential(digits - 1).split("e");
    return `${trimZeros(mantissa)}e${Number(exponent)}`;
  }
  if (size >= 10 ** (digits - 1)) return String(Math.round(value));
  return trimZeros(value.toPrecision(digits));
}

function trimZeros(text: string): string {
  return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}
