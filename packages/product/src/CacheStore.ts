import { Clock, Context, Data, Duration, Effect, Layer, Option } from "effect"
import { createClient } from "redis"
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
  /** Stores a value only when the key is absent. */
  readonly setIfAbsent: (key: string, value: string, ttl?: Duration.Duration) => Effect.Effect<void, CacheStoreError>
}>()("product/CacheStore") {
  /** Entries in this process; bounded, oldest evicted first. */
  static readonly layerMemory = Layer.sync(CacheStore, () => makeMemory(50_000))

  /** Redis at `url` (see {@link makeRedis}). */
  static readonly layerRedis = (url: string) => Layer.effect(CacheStore, makeRedis(url))

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
    setIfAbsent: (key, value, ttl) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        if (read(key, now) === undefined) write(key, value, expiry(now, ttl))
      })
  })
}

/**
 * A node-redis client used directly rather than through `NodeRedis`: `NodeRedis` fails to build when Redis is down at
 * start-up and queues commands while disconnected, and the product service must instead keep serving from
 * PostgreSQL. Here the client connects in the background and keeps reconnecting, commands fail at once while it is
 * offline (`disableOfflineQueue`), and each command has a short timeout. Failures are logged at most once per
 * `degradedLogInterval`, never once per request.
 */
const makeRedis = Effect.fnUntraced(function*(url: string) {
  const config = yield* ProductConfig
  const runSync = Effect.runSyncWith(yield* Effect.context<never>())
  const intervalMs = Duration.toMillis(config.degradedLogInterval)
  let lastLoggedAt = Number.NEGATIVE_INFINITY
  let suppressed = 0
  let degraded = false
  const report = (cause: unknown) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      degraded = true
      if (now - lastLoggedAt < intervalMs) return Effect.sync(() => void suppressed++)
      const failures = suppressed + 1
      lastLoggedAt = now
      suppressed = 0
      return Effect.logWarning("redis cache unavailable, serving from PostgreSQL", { failures, cause: String(cause) })
    })

  const prefixed = (key: string) => config.cachePrefix + key
  const client = yield* Effect.acquireRelease(
    Effect.sync(() =>
      createClient({
        url,
        disableOfflineQueue: true,
        commandsQueueMaxLength: 10_000,
        socket: {
          connectTimeout: 1_000,
          reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2_000) + Math.floor(Math.random() * 100)
        }
      })
    ),
    (redis) => Effect.sync(() => redis.destroy())
  )
  client.on("error", (cause) => runSync(report(cause)))
  client.on("ready", () => {
    if (degraded) runSync(Effect.logInfo("redis cache reachable again"))
    degraded = false
  })
  client.connect().catch(() => undefined) // rejects only when the client is destroyed

  const send = <A>(args: Array<string>): Effect.Effect<A, CacheStoreError> =>
    Effect.tryPromise({ try: () => client.sendCommand(args) as Promise<A>, catch: (cause) => cause }).pipe(
      Effect.timeoutOrElse({
        duration: config.redisCommandTimeout,
        orElse: () => Effect.fail(`redis command timed out after ${Duration.format(config.redisCommandTimeout)}`)
      }),
      Effect.tapError(report),
      Effect.mapError((cause) => new CacheStoreError({ cause }))
    )

  return CacheStore.of({
    kind: "redis",
    getMany: (keys) =>
      keys.length === 0
        ? Effect.succeed([])
        : Effect.map(send<Array<string | null>>(["MGET", ...keys.map(prefixed)]), (values) =>
          values.map((v) => v ?? undefined)),
    set: (key, value, ttl) => Effect.asVoid(send(["SET", prefixed(key), value, ...px(ttl)])),
    setIfAbsent: (key, value, ttl) => Effect.asVoid(send(["SET", prefixed(key), value, "NX", ...px(ttl)]))
  })
})

const px = (ttl: Duration.Duration | undefined) =>
  ttl === undefined ? [] : ["PX", String(Math.max(1, Math.round(Duration.toMillis(ttl))))]
