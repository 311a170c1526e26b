import { Context, Effect, Exit, Layer } from "effect"
import { createHash } from "node:crypto"
import { type ApiError, idempotencyKeyReused, requestInProgress } from "./ApiError.ts"
import type { Reply } from "./Reply.ts"

/** JSON with object keys sorted at every level, so that `{a,b}` and `{b,a}` are the same request. */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).toSorted(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0
    )
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`
  }
  return JSON.stringify(value)
}

/** sha256 of the canonical JSON of a request body. */
export const fingerprint = (body: unknown): string => createHash("sha256").update(canonicalJson(body)).digest("hex")

type Entry =
  | { readonly state: "in_flight"; readonly fingerprint: string }
  | { readonly state: "done"; readonly fingerprint: string; readonly reply: Reply }

/** The result of an idempotent request: the reply, and whether it is a replay of an earlier one. */
export interface Outcome {
  readonly reply: Reply
  readonly replayed: boolean
}

/**
 * Stored replies per (endpoint, idempotency key), Stripe's semantics: a repeat with the same body replays the stored
 * reply, a repeat while the first is in flight is a 409, the same key with another body a 422. Only executed requests
 * are stored; a request that was rejected before it ran (validation, injected fault) leaves no trace. In memory and
 * without expiry: `reset` is how it is emptied.
 */
export class IdempotencyStore extends Context.Service<IdempotencyStore, {
  /**
   * Runs `execute` at most once per (endpoint, key) and stores its reply. `execute` runs uninterruptibly: like a real
   * processor, a client that gives up does not stop a charge that has started.
   */
  readonly run: <R>(
    endpoint: string,
    key: string,
    fingerprint: string,
    execute: Effect.Effect<Reply, never, R>
  ) => Effect.Effect<Outcome, ApiError, R>
  readonly size: Effect.Effect<number>
  readonly reset: Effect.Effect<void>
}>()("@shop/payment/simulator/IdempotencyStore") {
  static readonly layer = Layer.sync(IdempotencyStore, () => makeStore())
}

const makeStore = () => {
  const entries = new Map<string, Entry>()

  // One synchronous check-and-set: no other fiber can claim the key between the look-up and the write.
  const begin = (id: string, print: string): Effect.Effect<Outcome | Entry, ApiError> =>
    Effect.suspend((): Effect.Effect<Outcome | Entry, ApiError> => {
      const existing = entries.get(id)
      if (existing === undefined) {
        const claim: Entry = { state: "in_flight", fingerprint: print }
        entries.set(id, claim)
        return Effect.succeed(claim)
      }
      if (existing.fingerprint !== print) return Effect.fail(idempotencyKeyReused)
      if (existing.state === "in_flight") return Effect.fail(requestInProgress)
      return Effect.succeed({ reply: existing.reply, replayed: true })
    })

  // Writes only over our own claim: a `reset` while the request ran must not be undone by its completion.
  const settle = (id: string, claim: Entry, reply: Reply | undefined) =>
    Effect.sync(() => {
      if (entries.get(id) !== claim) return
      if (reply === undefined) entries.delete(id)
      else entries.set(id, { state: "done", fingerprint: claim.fingerprint, reply })
    })

  const run = <R>(endpoint: string, key: string, print: string, execute: Effect.Effect<Reply, never, R>) => {
    const id = `${endpoint}\u0000${key}`
    // Uninterruptible from the claim on, or an interruption right after it would leave the key in flight forever.
    return Effect.uninterruptible(Effect.flatMap(begin(id, print), (claimed): Effect.Effect<Outcome, never, R> => {
      if ("replayed" in claimed) return Effect.succeed(claimed)
      return execute.pipe(
        Effect.onExit((exit) => settle(id, claimed, Exit.isSuccess(exit) ? exit.value : undefined)),
        Effect.map((reply) => ({ reply, replayed: false }))
      )
    }))
  }

  return IdempotencyStore.of({
    run,
    size: Effect.sync(() => entries.size),
    reset: Effect.sync(() => entries.clear())
  })
}
