/**
 * The subset of `node:assert/strict` the data tests use. `node:assert` cannot be type-checked
 * here (no `@types/node` in node_modules), so this stands in with the same call shapes; once
 * `@types/node` is installed, `import assert from "node:assert/strict"` can replace it.
 *
 * @module
 */

/** Raised when an assertion fails. */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

function ok(value: unknown, message = "expected a truthy value"): asserts value {
  if (!value) throw new AssertionError(message);
}

function equal<T>(actual: T, expected: T, message?: string): void {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(message ?? `expected ${show(expected)}, got ${show(actual)}`);
  }
}

function notEqual<T>(actual: T, expected: T, message?: string): void {
  if (Object.is(actual, expected)) {
    throw new AssertionError(message ?? `expected a value other than ${show(expected)}`);
  }
}

function deepEqual<T>(actual: T, expected: T, message?: string): void {
  const where = difference(actual, expected, "value");
  if (where !== undefined) throw new AssertionError(message ?? where);
}

function notDeepEqual<T>(actual: T, expected: T, message?: string): void {
  if (difference(actual, expected, "value") === undefined) {
    throw new AssertionError(message ?? `expected the values to differ: ${show(actual)}`);
  }
}

function match(text: string, pattern: RegExp, message?: string): void {
  if (!pattern.test(text)) {
    throw new AssertionError(message ?? `${show(text)} does not match ${pattern}`);
  }
}

/** Checks a thrown error against a pattern (its message) or a predicate returning true. */
function checkError(error: unknown, expected: RegExp | ((error: Error) => boolean)): void {
  if (!(error instanceof Error)) throw new AssertionError(`threw a non-error: ${show(error)}`);
  if (expected instanceof RegExp) match(error.message, expected);
  else if (expected(error) !== true) throw new AssertionError(`unexpected error: ${error.message}`);
}

function throws(run: () => unknown, expected: RegExp | ((error: Error) => boolean)): void {
  try {
    run();
  } catch (error) {
    checkError(error, expected);
    return;
  }
  throw new AssertionError("expected an error, none was thrown");
}

async function rejects(
  promise: Promise<unknown>,
  expected: RegExp | ((error: Error) => boolean),
): Promise<void> {
  try {
    await promise;
  } catch (error) {
    checkError(error, expected);
    return;
  }
  throw new AssertionError("expected a rejection, the promise resolved");
}

/** Where `actual` and `expected` first differ, or undefined when they are deeply equal. */
function difference(actual: unknown, expected: unknown, path: string): string | undefined {
  if (Object.is(actual, expected)) return undefined;
  const mismatch = `${path}: expected ${show(expected)}, got ${show(actual)}`;
  if (typeof actual !== "object" || typeof expected !== "object" || !actual || !expected) {
    return mismatch;
  }
  if (Object.getPrototypeOf(actual) !== Object.getPrototypeOf(expected)) {
    return `${path}: expected a ${expected.constructor?.name}, got a ${actual.constructor?.name}`;
  }
  if (actual instanceof Map && expected instanceof Map) {
    return difference([...actual], [...expected], path);
  }
  const keys = Object.keys(expected as object);
  const actualKeys = Object.keys(actual as object);
  if (keys.length !== actualKeys.length) {
    return `${path}: expected ${keys.length} entries, got ${actualKeys.length}`;
  }
  for (const key of keys) {
    const inner = difference(
      (actual as Record<string, unknown>)[key],
      (expected as Record<string, unknown>)[key],
      `${path}[${key}]`,
    );
    if (inner !== undefined) return inner;
  }
  return undefined;
}

function show(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 80 ? value.slice(0, 80) + "…" : value);
  }
  if (ArrayBuffer.isView(value)) {
    return `${value.constructor.name}(${(value as Uint8Array).length})`;
  }
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 120 ? text.slice(0, 120) + "…" : text;
  } catch {
    return String(value);
  }
}

/** The methods of node's strict assert that the data tests use. */
export const assert: {
  ok(value: unknown, message?: string): asserts value;
  equal<T>(actual: T, expected: T, message?: string): void;
  notEqual<T>(actual: T, expected: T, message?: string): void;
  deepEqual<T>(actual: T, expected: T, message?: string): void;
  notDeepEqual<T>(actual: T, expected: T, message?: string): void;
  match(text: string, pattern: RegExp, message?: string): void;
  throws(run: () => unknown, expected: RegExp | ((error: Error) => boolean)): void;
  rejects(
    promise: Promise<unknown>,
    expected: RegExp | ((error: Error) => boolean),
  ): Promise<void>;
} = { ok, equal, notEqual, deepEqual, notDeepEqual, match, throws, rejects };
