/**
 * JSON values in sweep configs and trial files: what counts as serializable, the canonical
 * (sorted-key) form that trial identity hashes, and a lossless encoding of non-finite metrics.
 *
 * @module
 */

/** A value that survives a JSON round trip unchanged. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** A trial configuration: axis names (and derived names) to values. */
export type Config = { [key: string]: JsonValue };

/**
 * Describes why `value` cannot be stored as JSON, or returns `null` when it can.
 * Allowed: finite numbers, strings, booleans, null, arrays and plain objects of those.
 *
 * @example
 * ```ts
 * import { serializationProblem } from "./json.ts";
 * serializationProblem({ lr: 0.1 }); // null
 * serializationProblem({ lr: NaN }); // "lr is NaN"
 * ```
 */
export function serializationProblem(value: unknown, path = "value"): string | null {
  return problemAt(value, path, new Set());
}

function problemAt(value: unknown, path: string, ancestors: Set<object>): string | null {
  if (value === null || typeof value === "string" || typeof value === "boolean") return null;
  if (typeof value === "number") {
    return Number.isFinite(value) ? null : `${path} is ${value}`;
  }
  if (typeof value !== "object") return `${path} is ${describeKind(value)}`;
  if (ancestors.has(value)) return `${path} is a circular reference`;
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const problem = problemAt(value[i], `${path}[${i}]`, ancestors);
        if (problem) return problem;
      }
      return null;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      return `${path} is ${describeKind(value)}, not a plain object`;
    }
    for (const [key, item] of Object.entries(value)) {
      const problem = problemAt(item, `${path}.${key}`, ancestors);
      if (problem) return problem;
    }
    return null;
  } finally {
    ancestors.delete(value);
  }
}

function describeKind(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value === "object" && value !== null) {
    const name = Object.getPrototypeOf(value)?.constructor?.name;
    return name ? `a ${name}` : "an object";
  }
  return typeof value === "undefined" ? "undefined" : `a ${typeof value}`;
}

/**
 * JSON text with object keys sorted at every depth: equal values give equal text.
 *
 * @example
 * ```ts
 * import { canonicalJson } from "./json.ts";
 * canonicalJson({ b: 1, a: [true, { d: 2, c: 3 }] }); // '{"a":[true,{"c":3,"d":2}],"b":1}'
 * ```
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(",")}}`;
}

/**
 * `JSON.stringify` that keeps NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity"
 * instead of turning them into null; {@link decodeNonFinite} reverses it.
 *
 * @example
 * ```ts
 * import { stringifyKeepingNonFinite } from "./json.ts";
 * stringifyKeepingNonFinite({ loss: NaN }); // '{"loss":"NaN"}'
 * ```
 */
export function stringifyKeepingNonFinite(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, item) => typeof item === "number" && !Number.isFinite(item) ? String(item) : item,
    indent,
  );
}

const NON_FINITE: Record<string, number> = {
  "NaN": NaN,
  "Infinity": Infinity,
  "-Infinity": -Infinity,
};

/**
 * Turns the strings "NaN", "Infinity" and "-Infinity" back into numbers, one level deep.
 *
 * @example
 * ```ts
 * import { decodeNonFinite } from "./json.ts";
 * decodeNonFinite({ loss: "NaN", acc: 0.5 }); // { loss: NaN, acc: 0.5 }
 * ```
 */
export function decodeNonFinite<T extends Record<string, unknown>>(metrics: T): T {
  const decoded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metrics)) {
    decoded[key] = typeof value === "string" && Object.hasOwn(NON_FINITE, value)
      ? NON_FINITE[value]
      : value;
  }
  return decoded as T;
}
