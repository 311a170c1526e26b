import { SoftRedis } from "@shop/service-defaults/Redis"
import { Clock, Context, Data, Duration, Effect, Layer, Option } from "effect"
import { ProductConfig } from "./ProductConfig.ts"

/** The cache could not answer; callers serve from PostgreSQL instead. */
export class CacheStoreError extends Data.TaggedError("CacheStoreError")<{ readonly cause: unknown }> {}

/** A string key-value store with expiry: Redis in the distributed mode, process memory in the embedded one. */
export class CacheStore extends Context.Service<CacheStore, {
  readonly kind: "redis" | "memory"
  /** The values of `keys`, in order; `undefined` where a key is absent. */
  readonly getMany: (keys: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<string | undefined>, CacheStoreError>
  /** Stores a value; without `ttl` it stays until overwritten (or evicted). */
  readonly set: (key: string, value: string, ttl?: Duration.Duration) => Effect.Effect<void, CacheStoreError>
  /** Sets every entry, each for `ttl`, in one round trip. */
  readonly setMany: (
    entries: ReadonlyArray<readonly [key: string, value: string]>,
    ttl?: Duration.Duration
  ) => Effect.Effect<void, CacheStoreError>
  /** Stores a value only when the key is absent. */
  readonly setIfAbsent: (key: string, value: string, ttl?: Duration.Duration) => Effect.Effect<void, CacheStoreError>
}>()("product/CacheStore") {
  /** Entries in this process; bounded, oldest evicted first. */
  static readonly layerMemory = Layer.sync(CacheStore, () => makeMemory(50_000))

  /** Redis at `url` (see {@link makeRedis}). */
  static readonly layerRedis = (url: string) =>
    Layer.effect(CacheStore, makeRedis).pipe(
      Layer.provide(Layer.unwrap(ProductConfig.useSync((config) =>
        SoftRedis.layer({
          url,
          purpose: "cache",
          fallback: "serving from PostgreSQL",
          commandTimeout: config.redisCommandTimeout,
          keyPrefix: config.cachePrefix
        })
      )))
    )

  /** Redis when `REDIS_URL` is set, memory otherwise. */
  static readonly layer = Layer.unwrap(
    ProductConfig.useSync((config) =>
      Option.match(config.redisUrl, { onNone: () => CacheStore.layerMemory, onSome: CacheStore.layerRedis })
    )
  )
}

const expiry = (now: number, ttl: Duration.Duration | undefined) =>
  ttl === undefined ? Number.POSITIVE_INFINITY : now + Duration.toMillis(ttl)

const makeMemory = (maxEntries: number): CacheStore["Service"] => {
  const entries = new Map<string, { readonly value: string; readonly expiresAt: number }>()
  const read = (key: string, now: number) => {
    const entry = entries.get(key)
    if (entry === undefined || entry.expiresAt > now) return entry?.value
    entries.delete(key)
    return undefined
  }
  const write = (key: string, value: string, expiresAt: number) => {
    entries.delete(key) // re-insert so that Map order stays oldest-first
    entries.set(key, { value, expiresAt })
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value!)
  }
  return CacheStore.of({
    kind: "memory",
    getMany: (keys) => Effect.map(Clock.currentTimeMillis, (now) => keys.map((key) => read(key, now))),
    set: (key, value, ttl) => Effect.map(Clock.currentTimeMillis, (now) => write(key, value, expiry(now, ttl))),
    setMany: (pairs, ttl) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        for (const [key, value] of pairs) write(key, value, expiry(now, ttl))
      }),
    setIfAbsent: (key, value, ttl) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        if (read(key, now) === undefined) write(key, value, expiry(now, ttl))
      })
  })
}

/**
 * The cache on a soft Redis (see `SoftRedis`): connected in the background, commands failing at once while it is
 * offline or its circuit is open and after `REDIS_COMMAND_TIMEOUT` otherwise, so a dead, slow or flapping Redis
 * costs a catalog read nothing but the cache. The outage is logged when it starts and when it ends.
 */
const makeRedis = Effect.gen(function*() {
  const soft = yield* SoftRedis
  const prefixed = (key: string) => soft.keyPrefix + key
  const send = <A>(command: string, ...args: ReadonlyArray<string>): Effect.Effect<A, CacheStoreError> =>
    soft.send<A>(command, ...args).pipe(Effect.mapError((cause) => new CacheStoreError({ cause })))

  return CacheStore.of({
    kind: "redis",
    getMany: (keys) =>
      keys.length === 0
        ? Effect.succeed([])
        : Effect.map(send<Array<string | null>>("MGET", ...keys.map(prefixed)), (values) =>
          values.map((v) => v ?? undefined)),
    set: (key, value, ttl) => Effect.asVoid(send("SET", prefixed(key), value, ...px(ttl))),
    setMany: (pairs, ttl) =>
      pairs.length === 0 ? Effect.void : Effect.asVoid(send(
        "EVAL",
        setManyScript,
        String(pairs.length),
        ...pairs.map(([key]) => prefixed(key)),
        ...pairs.map(([, value]) => value),
        ...px(ttl)
      )),
    setIfAbsent: (key, value, ttl) => Effect.asVoid(send("SET", prefixed(key), value, "NX", ...px(ttl)))
  })
})

/** SET of every key to its value (ARGV[i]), with `PX <ms>` when ARGV ends with them. */
const setManyScript = `
local n = #KEYS
for i = 1, n do
  if #ARGV > n then redis.call('SET', KEYS[i], ARGV[i], ARGV[n + 1], ARGV[n + 2])
  else redis.call('SET', KEYS[i], ARGV[i]) end
end
return n`

const px = (ttl: Duration.Duration | undefined) =>
  ttl === undefined ? [] : ["PX", String(Math.max(1, Math.round(Duration.toMillis(ttl))))]
