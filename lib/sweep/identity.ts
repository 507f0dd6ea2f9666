/**
 * Trial identity: a short hash of what makes a trial the same trial, so that a rerun skips
 * what is done and two shards never write the same file.
 *
 * @module
 */

import { canonicalJson, type Config } from "./json.ts";

/**
 * The trial id: the first 16 hex characters of SHA-256 over the experiment name, its declared
 * version and the canonical (sorted-key) config.
 *
 * @example
 * ```ts
 * import { trialId } from "./identity.ts";
 * const id = await trialId("quadratic", "1", { seed: 0, lr: 0.1 });
 * id === await trialId("quadratic", "1", { lr: 0.1, seed: 0 }); // true: key order is irrelevant
 * ```
 */
export async function trialId(
  experiment: string,
  version: string,
  config: Config,
): Promise<string> {
  const text = canonicalJson({ experiment, version, config });
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest, 0, 8), (byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}
