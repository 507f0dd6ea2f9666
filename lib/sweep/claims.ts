/**
 * Claims: before a process runs a trial it claims it with a file in `DIR/claims/`, so that
 * processes sharing a results directory (shard arrays, a second unsharded run, a resubmitted
 * job while the old one is still going) never run a trial twice. The holder touches its claim
 * files every heartbeat; a claim whose file has not been touched for `staleMs` belongs to a
 * process that died (kill -9, a lost node) and is taken over.
 *
 * A claim is `claims/<id>.<generation>`, created exclusively (`createNew`): the first claim is
 * generation 0, and whoever takes over a stale generation g must create g + 1, which exactly
 * one process can. Claims are released (removed) after the trial's record is written, so a
 * process that gets a claim checks for a record written meanwhile before it runs the trial.
 *
 * @module
 */

import { joinPath } from "../io/paths.ts";

/** How often held claims are touched by default. */
export const HEARTBEAT_MS = 10_000;
/** A claim untouched this long is stale by default (six missed heartbeats). */
export const STALE_CLAIM_MS = 60_000;

/** Outcome of {@link ClaimBook.take}. */
export type ClaimResult = "mine" | "busy";

/**
 * The claims one process holds in a results directory, kept alive by a heartbeat.
 *
 * @example
 * ```ts
 * import { ClaimBook } from "./claims.ts";
 * const claims = new ClaimBook("/tmp/claims-example");
 * if (await claims.take("3fa2c1d09e8b7a65") === "mine") {
 *   // ... run the trial, write its record ...
 *   await claims.release("3fa2c1d09e8b7a65");
 * }
 * claims.close();
 * ```
 */
export class ClaimBook {
  readonly dir: string;
  readonly #held = new Map<string, number>();
  readonly #staleMs: number;
  readonly #token = crypto.randomUUID();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    out: string,
    options: { staleMs?: number; heartbeatMs?: number } = {},
  ) {
    this.dir = joinPath(out, "claims");
    this.#staleMs = options.staleMs ?? STALE_CLAIM_MS;
    const heartbeatMs = options.heartbeatMs ?? Math.min(HEARTBEAT_MS, this.#staleMs / 6);
    this.#timer = setInterval(() => void this.#heartbeat(), heartbeatMs);
    Deno.unrefTimer(this.#timer);
  }

  /** Trial ids this process holds. */
  get held(): string[] {
    return [...this.#held.keys()];
  }

  /**
   * Claims trial `id`: "mine" when this process now holds it, "busy" when another live
   * process does.
   */
  async take(id: string): Promise<ClaimResult> {
    if (this.#held.has(id)) return "mine";
    await Deno.mkdir(this.dir, { recursive: true });
    const content = JSON.stringify({
      pid: Deno.pid,
      host: Deno.env.get("HOSTNAME") ?? null,
      token: this.#token,
      claimedAt: new Date().toISOString(),
    }) + "\n";
    for (let generation = 0;; generation++) {
      const path = this.#path(id, generation);
      try {
        await Deno.writeTextFile(path, content, { createNew: true });
        this.#held.set(id, generation);
        return "mine";
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      }
      const touched = await Deno.stat(path).then((info) => info.mtime?.getTime(), () => undefined);
      // Gone meanwhile (released): retry this generation; fresh: someone holds it.
      if (touched === undefined) generation--;
      else if (Date.now() - touched < this.#staleMs) return "busy";
    }
  }

  /** Releases trial `id` (removes its claim files, stale generations included). */
  async release(id: string): Promise<void> {
    const generation = this.#held.get(id);
    if (generation === undefined) return;
    this.#held.delete(id);
    for (let g = generation; g >= 0; g--) {
      await Deno.remove(this.#path(id, g)).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    }
  }

  /** Releases every held claim, stops the heartbeat, and removes the folder if it is empty. */
  async releaseAll(): Promise<void> {
    for (const id of this.held) await this.release(id);
    this.close();
    await Deno.remove(this.dir).catch(() => {}); // only when empty: others may hold claims
  }

  /** Stops the heartbeat (held claims then go stale). */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #heartbeat(): Promise<void> {
    const now = new Date();
    for (const [id, generation] of this.#held) {
      await Deno.utime(this.#path(id, generation), now, now).catch(() => {});
    }
  }

  #path(id: string, generation: number): string {
    return joinPath(this.dir, `${id}.${generation}`);
  }
}
