import { Duration, Effect, Layer, Option } from "effect"
import { CircuitBreaker, Redis } from "effect/persistence"
import { RedisKeyPrefix, SoftRedis } from "../Redis.ts"

/**
 * Where circuit states live: in Redis under `REDIS_KEY_PREFIX` + `scope` (e.g. `shop:order:breaker:`) when
 * `REDIS_URL` is set, so that every replica of a service sees one circuit per dependency; in memory otherwise.
 *
 * Redis is a soft dependency here too: while it is unreachable, slow or its own circuit is open, each replica keeps
 * its breakers in memory (the circuits still open and close, per replica) and goes back to the shared state once
 * Redis answers again, with no restart. A permit admitted by the memory store is recorded there too (its
 * generation is negative), so an outage that starts or ends mid-call never mixes the two.
 */
export const breakerStoreLayer = (scope: string) =>
  Layer.unwrap(Effect.gen(function*() {
    const prefix = `${yield* RedisKeyPrefix}${scope}`
    const soft = yield* SoftRedis.fromConfig("circuit breaker state", "keeping circuit states in memory")
    return Option.match(soft, {
      onNone: () => CircuitBreaker.layerStoreMemory(),
      onSome: (redis) => layerStoreFallback(prefix).pipe(Layer.provide(redis))
    })
  }))

const isStoreError = (error: CircuitBreaker.CircuitBreakerError) => error.reason._tag === "CircuitBreakerStoreError"

/**
 * The Redis store of `effect/persistence` on a SoftRedis, falling back to a memory store.
 *
 * A closed circuit's admission is reused for `closedFor` (1 s) instead of asking Redis before every call: a circuit
 * another replica opened is seen here within that time (a few more calls reach the sick peer meanwhile), and every
 * call still records its outcome in Redis, so failures count across replicas as before. An open or half-open
 * circuit, a probe, a transition or a failure here always goes back to Redis.
 */
export const layerStoreFallback = (prefix: string, settings: { readonly closedFor?: Duration.Input } = {}) =>
  Layer.effect(
    CircuitBreaker.CircuitBreakerStore,
    Effect.gen(function*() {
      const soft = yield* SoftRedis
      const shared = yield* CircuitBreaker.CircuitBreakerStore.pipe(
        Effect.provide(CircuitBreaker.layerStoreRedis({ prefix })),
        Effect.provideService(Redis.Redis, soft.redis)
      )
      const local = yield* CircuitBreaker.CircuitBreakerStore.pipe(Effect.provide(CircuitBreaker.layerStoreMemory()))
      const admitLocally = (key: string) =>
        Effect.map(local.admit(key), (admission) => ({ ...admission, generation: -admission.generation - 1 }))
      const closedForMillis = Duration.toMillis(Duration.fromInputUnsafe(settings.closedFor ?? "1 second"))
      const closed = new Map<string, { readonly admission: CircuitBreaker.Admission; readonly until: number }>()
      const admitShared = (key: string) =>
        Effect.suspend(() => {
          const known = closed.get(key)
          if (known !== undefined && known.until > Date.now()) return Effect.succeed(known.admission)
          return shared.admit(key).pipe(Effect.tap((admission) =>
            Effect.sync(() => {
              // Admitted, not as a probe, with no transition: the circuit is closed.
              if (!admission.probe && admission.transition === undefined) {
                closed.set(key, { admission, until: Date.now() + closedForMillis })
              } else closed.delete(key)
            })
          ))
        })
      return CircuitBreaker.CircuitBreakerStore.of({
        admit: (key) =>
          soft.available()
            ? admitShared(key).pipe(Effect.catchIf(isStoreError, () => admitLocally(key)))
            : admitLocally(key),
        record: (options) => {
          if (options.generation < 0) return local.record({ ...options, generation: -options.generation - 1 })
          if (options.outcome === "Failure") closed.delete(options.key)
          // A shared permit whose outcome cannot be written: Redis forgets it after the probe lease.
          return shared.record(options).pipe(
            Effect.tap((transition) => Effect.sync(() => transition === undefined || closed.delete(options.key))),
            Effect.catchIf(isStoreError, () => Effect.succeed(undefined))
          )
        },
        state: (key) =>
          soft.available()
            ? shared.state(key).pipe(Effect.catchIf(isStoreError, () => local.state(key)))
            : local.state(key)
      })
    })
  )
