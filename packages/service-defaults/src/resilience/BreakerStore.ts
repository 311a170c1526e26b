import { Config, Deferred, Duration, Effect, Layer, Option } from "effect"
import { CircuitBreaker, Redis } from "effect/persistence"
import { RedisKeyPrefix, SoftRedis } from "../Redis.ts"

/** How often a closed circuit's successes are written to Redis (`BREAKER_SUCCESS_EVERY`); zero: at every call. */
const defaultSuccessEvery = Duration.millis(20)

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
    const successEvery = yield* Config.Duration("BREAKER_SUCCESS_EVERY").pipe(
      Config.withDefault(defaultSuccessEvery)
    )
    return Option.match(soft, {
      onNone: () => CircuitBreaker.layerStoreMemory(),
      onSome: (redis) => layerStoreFallback(prefix, { successEvery }).pipe(Layer.provide(redis))
    })
  }))

type RecordOptions = Parameters<CircuitBreaker.CircuitBreakerStore["Service"]["record"]>[0]

const isStoreError = (error: CircuitBreaker.CircuitBreakerError) => error.reason._tag === "CircuitBreakerStoreError"

/**
 * The Redis store of `effect/persistence` on a SoftRedis, falling back to a memory store.
 *
 * A closed circuit's admission is reused for `closedFor` (1 s) instead of asking Redis before every call: a circuit
 * another replica opened is seen here within that time (a few more calls reach the sick peer meanwhile). An open or
 * half-open circuit, a probe, a transition or a failure here always goes back to Redis.
 *
 * Every failure is recorded in Redis at once, so failures count across replicas as before. The successes of a
 * closed circuit are recorded once per `successEvery` (20 ms, `BREAKER_SUCCESS_EVERY`; zero: at every call) and
 * key: in a closed circuit a success only ends the failure streak, and one success does that as well as the many a
 * busy replica has in that time (the calls of every order, each a script run in Redis, were 6-8 % of the
 * platform's CPU per order). Another replica's streak is thus ended up to `successEvery` later than the success
 * that ends it. A failure here first records the success that came before it (or waits for its write under way),
 * so this replica's own outcomes reach Redis in the order they happened.
 */
export const layerStoreFallback = (
  prefix: string,
  settings: { readonly closedFor?: Duration.Input; readonly successEvery?: Duration.Input } = {}
) =>
  Layer.effect(
    CircuitBreaker.CircuitBreakerStore,
    Effect.gen(function*() {
      const soft = yield* SoftRedis
      const scope = yield* Effect.scope
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
      // A shared permit whose outcome cannot be written: Redis forgets it after the probe lease.
      const recordShared = (options: RecordOptions) =>
        shared.record(options).pipe(
          Effect.tap((transition) => Effect.sync(() => transition === undefined || closed.delete(options.key))),
          Effect.catchIf(isStoreError, () => Effect.succeed(undefined))
        )

      const successEveryMillis = Duration.toMillis(
        Duration.fromInputUnsafe(settings.successEvery ?? defaultSuccessEvery)
      )
      // The latest success of each key's closed circuit not yet written (a write of them is due while there are
      // any), and the write under way (a failure waits for it, so that a success written late cannot end the streak
      // after it).
      const pendingSuccesses = new Map<string, RecordOptions>()
      let flushing: Deferred.Deferred<void> | undefined
      const takePending = (key: string) => {
        const pending = pendingSuccesses.get(key)
        pendingSuccesses.delete(key)
        return pending
      }
      const flushPending = Effect.suspend(() => {
        const due = [...pendingSuccesses.keys()].flatMap((key) => takePending(key) ?? [])
        const written = Deferred.makeUnsafe<void>()
        flushing = written
        return Effect.forEach(due, recordShared, { concurrency: "unbounded", discard: true }).pipe(
          Effect.ensuring(Effect.sync(() => {
            if (flushing === written) flushing = undefined
            Deferred.doneUnsafe(written, Effect.void)
          }))
        )
      })
      const deferSuccess = (options: RecordOptions) =>
        Effect.suspend(() => {
          const due = pendingSuccesses.size > 0
          pendingSuccesses.set(options.key, options)
          if (due) return Effect.succeed(undefined)
          return Effect.as(
            Effect.forkIn(Effect.andThen(Effect.sleep(successEveryMillis), flushPending), scope),
            undefined
          )
        })
      // A success of the closed circuit this replica admitted in its generation: not a probe, and its record could
      // bring no transition (Redis answers none for it), so it can wait for the next write.
      const closedSuccess = (options: RecordOptions) =>
        options.outcome === "Success" && closed.get(options.key)?.admission.generation === options.generation

      return CircuitBreaker.CircuitBreakerStore.of({
        admit: (key) =>
          soft.available()
            ? admitShared(key).pipe(Effect.catchIf(isStoreError, () => admitLocally(key)))
            : admitLocally(key),
        record: (options) => {
          if (options.generation < 0) return local.record({ ...options, generation: -options.generation - 1 })
          if (successEveryMillis > 0 && closedSuccess(options)) return deferSuccess(options)
          if (options.outcome === "Failure") closed.delete(options.key)
          const inFlight = flushing
          const before = takePending(options.key)
          const write = before === undefined
            ? recordShared(options)
            : Effect.andThen(recordShared(before), recordShared(options))
          return inFlight === undefined ? write : Effect.andThen(Deferred.await(inFlight), write)
        },
        state: (key) =>
          soft.available()
            ? shared.state(key).pipe(Effect.catchIf(isStoreError, () => local.state(key)))
            : local.state(key)
      })
    })
  )
