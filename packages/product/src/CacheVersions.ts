import { Context, Duration, Effect, Layer } from "effect"
import { randomBytes } from "node:crypto"
import { CacheStore, CacheStoreError } from "./CacheStore.ts"

/**
 * Version tokens that name every cache entry, so that a change makes the old entries unreachable instead of
 * deleting them. A reader takes the token before it reads PostgreSQL and stores under that token; a writer replaces
 * the token after its transaction commits. A reader that raced a writer therefore stores under a token nobody asks
 * for any more, and never a stale value under the current one (the race a cache DELETE cannot close).
 *
 * - one token per product: its details, including stock (bumped by catalog writes and every stock movement);
 * - one catalog token: listing and search pages (bumped by creates and updates; stock movements do not change which
 *   products match or their order, and pages carry ids only, their products are read through the product tokens);
 * - an epoch in front of both, bumped when a writer could not reach the store, so nothing cached before the outage
 *   survives it.
 *
 * Tokens are random, not counters: a token key that Redis evicted (or that expired) comes back as a new token, never
 * as an old value, so an eviction only costs misses.
 */
export class CacheVersions extends Context.Service<CacheVersions, {
  /** The current token of each product, in order. */
  readonly products: (ids: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<string>, CacheStoreError>
  /** The current token of listing and search pages. */
  readonly catalog: Effect.Effect<string, CacheStoreError>
  /** Invalidates the products' entries (and every page when `catalog`); never fails, see the class comment. */
  readonly bump: (
    change: { readonly productIds: ReadonlyArray<string>; readonly catalog: boolean }
  ) => Effect.Effect<void>
  /** Invalidates every entry by replacing the epoch (writes made outside the service); never fails. */
  readonly invalidateAll: Effect.Effect<void>
}>()("product/CacheVersions") {
  static readonly layer = Layer.effect(CacheVersions, CacheStore.useSync(make))
}

const epochKey = "v:epoch"
const catalogKey = "v:catalog"
const productKey = (id: string) => `v:p:${id}`
const newToken = () => randomBytes(9).toString("base64url")
// an expired token is as safe as an evicted one (see above); the TTL only keeps keys of gone products from piling up
const tokenTtl = Duration.days(1)

function make(store: CacheStore["Service"]): CacheVersions["Service"] {
  // failed bumps are counted; a successful epoch bump clears the failures counted before it started
  let failedBumps = 0
  let clearedBumps = 0
  const ensureEpoch = Effect.suspend(() => {
    if (failedBumps === clearedBumps) return Effect.void
    const upTo = failedBumps
    return Effect.map(store.set(epochKey, newToken(), tokenTtl), () => {
      clearedBumps = Math.max(clearedBumps, upTo)
    })
  })

  const read = (keys: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      yield* ensureEpoch
      const values = [...yield* store.getMany(keys)]
      const missing = keys.filter((_, i) => values[i] === undefined)
      if (missing.length === 0) return values as ReadonlyArray<string>
      yield* Effect.forEach(missing, (key) => store.setIfAbsent(key, newToken(), tokenTtl), {
        concurrency: "unbounded"
      })
      const filled = yield* store.getMany(missing)
      let next = 0
      return yield* Effect.forEach(values, (value) => {
        const token = value ?? filled[next++]
        return token === undefined
          ? Effect.fail(new CacheStoreError({ cause: "version evicted" }))
          : Effect.succeed(token)
      })
    })

  return CacheVersions.of({
    products: (ids) =>
      Effect.map(read([epochKey, ...ids.map(productKey)]), ([epoch, ...tokens]) => tokens.map((t) => `${epoch}.${t}`)),
    catalog: Effect.map(read([epochKey, catalogKey]), ([epoch, token]) => `${epoch}.${token}`),
    bump: ({ catalog, productIds }) =>
      Effect.forEach(
        catalog ? [catalogKey, ...productIds.map(productKey)] : productIds.map(productKey),
        (key) => store.set(key, newToken(), tokenTtl),
        { concurrency: "unbounded", discard: true }
      ).pipe(Effect.catch(() => Effect.sync(() => void failedBumps++))),
    // A failed replacement is retried like a failed bump: the next read replaces the epoch first.
    invalidateAll: store.set(epochKey, newToken(), tokenTtl).pipe(
      Effect.catch(() => Effect.sync(() => void failedBumps++))
    )
  })
}
