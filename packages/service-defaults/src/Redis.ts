import { Config, Context, Data, Duration, Effect, Exit, Layer, Option, Stream } from "effect"
import { CircuitBreaker, Redis } from "effect/persistence"
import { createClient } from "redis"
import { answeredWithin } from "./resilience/AnsweredWithin.ts"
import { reportBreakerTransitions } from "./resilience/BreakerTelemetry.ts"

/** `REDIS_URL`; when unset the service runs on in-memory stores (embedded mode). */
export const RedisUrl = Config.String("REDIS_URL").pipe(Config.option)

/**
 * `REDIS_KEY_PREFIX` (default `shop:`): the start of every key the platform writes (cache, rate limits, breaker
 * states), so that several deployments, or a test run, can share one Redis without touching each other's keys.
 */
export const RedisKeyPrefix = Config.String("REDIS_KEY_PREFIX").pipe(Config.withDefault("shop:"))

/** Redis did not answer: offline, its circuit open, or slower than the command timeout. Callers do without it. */
export class RedisUnavailable extends Data.TaggedError("RedisUnavailable")<{ readonly reason: string }> {}

export interface SoftRedisOptions {
  readonly url: string
  /** What this service uses Redis for, in its log lines: `cache`, `rate limits`, `circuit breaker state`. */
  readonly purpose: string
  /** What the service does while Redis is away, in its log lines: `serving from PostgreSQL`. */
  readonly fallback: string
  /** A slower command counts as a failure (its answer read, not this process's own delays). Default: 150 ms. */
  readonly commandTimeout?: Duration.Input | undefined
  /** Consecutive failures that open the circuit, and how long it stays open. Default: 5, 2 seconds. */
  readonly failureThreshold?: number | undefined
  readonly openDuration?: Duration.Input | undefined
  /** Prefix of every key this client writes, so that several deployments can share one Redis. */
  readonly keyPrefix?: string | undefined
}

/**
 * Redis as a soft dependency: something that makes the service faster or shared, never something it waits for.
 *
 * - The client connects in the background and keeps reconnecting (backoff up to 2 s): a Redis that is down at
 *   start-up does not stop the service from starting, and one that comes back is used again without a restart.
 * - While it is disconnected, commands fail at once (no offline queue that would hold requests).
 * - Every command has a timeout and runs behind a circuit breaker (`circuit_breaker_state{dependency="redis"}`):
 *   after a few failures a slow or flapping Redis is not asked at all for a while, so callers pay nothing.
 * - Readiness never depends on it. An outage is logged once when it starts and once when it ends.
 */
export class SoftRedis extends Context.Service<SoftRedis, {
  readonly send: <A = unknown>(command: string, ...args: ReadonlyArray<string>) => Effect.Effect<A, RedisUnavailable>
  /** Whether a command would be tried now: connected, and the circuit not open. */
  readonly available: () => boolean
  /** `effect/persistence` Redis on this client (EVALSHA scripts, the stores built on it); same failure rules. */
  readonly redis: Redis.Redis["Service"]
  readonly keyPrefix: string
}>()("service-defaults/SoftRedis") {
  static readonly layer = (options: SoftRedisOptions) => Layer.effect(SoftRedis, make(options))

  /** On `REDIS_URL`, with `REDIS_COMMAND_TIMEOUT` (default 150 ms); none when `REDIS_URL` is unset. */
  static readonly fromConfig = (purpose: string, fallback: string) =>
    Effect.gen(function*() {
      const url = yield* RedisUrl
      const commandTimeout = yield* Config.Duration("REDIS_COMMAND_TIMEOUT").pipe(
        Config.withDefault(Duration.millis(150))
      )
      return Option.map(url, (redisUrl) => SoftRedis.layer({ url: redisUrl, purpose, fallback, commandTimeout }))
    })
}

const make = Effect.fnUntraced(function*(options: SoftRedisOptions) {
  const timeout = Duration.fromInputUnsafe(options.commandTimeout ?? Duration.millis(150))
  const runFork = Effect.runForkWith(yield* Effect.context<never>())
  const breaker = yield* CircuitBreaker.make({
    tripPolicy: CircuitBreaker.consecutive(options.failureThreshold ?? 5),
    openDuration: options.openDuration ?? Duration.seconds(2)
  }).pipe(Effect.provide(CircuitBreaker.layerStoreMemory()))
  yield* reportBreakerTransitions(breaker, "redis")
  // Followed from the breaker's transitions, so that `available` costs nothing to ask.
  let circuitOpen = false
  yield* breaker.transitions.pipe(
    Stream.runForEach((transition) => Effect.sync(() => void (circuitOpen = transition.to === "Open"))),
    Effect.forkScoped({ startImmediately: true })
  )

  const client = yield* Effect.acquireRelease(
    Effect.sync(() =>
      createClient({
        url: options.url,
        disableOfflineQueue: true,
        commandsQueueMaxLength: 10_000,
        // No timeout of the library's own: `send` bounds every command (`commandTimeout`), and the library's default
        // (5 s, an AbortSignal.timeout per command) fires 5 s after every command, answered or not, building a
        // TimeoutError each time: 1.5-3 % of a busy service's CPU. Commands `send` gave up on leave the queue when
        // Redis answers or the connection drops, and the queue is bounded.
        commandOptions: { timeout: 0 },
        socket: {
          connectTimeout: 1_000,
          reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2_000) + Math.floor(Math.random() * 100)
        }
      })
    ),
    (redis) => Effect.sync(() => redis.destroy())
  )
  let down = false
  const log = (effect: Effect.Effect<void>) => void runFork(effect)
  client.on("error", (cause) => {
    if (down) return
    down = true
    log(Effect.logWarning(`redis ${options.purpose} unavailable, ${options.fallback}`, { cause: String(cause) }))
  })
  client.on("ready", () => {
    if (!down) return
    down = false
    log(Effect.logInfo(`redis ${options.purpose} reachable again`))
  })
  client.connect().catch(() => undefined) // rejects only when the client is destroyed

  // A failed or timed-out command counts against the circuit; an interrupted one says nothing about Redis.
  const classify = <A>(exit: Exit.Exit<A, RedisUnavailable>) =>
    Exit.isSuccess(exit)
      ? CircuitBreaker.success
      : exit.cause.reasons.some((reason) => reason._tag === "Fail")
      ? CircuitBreaker.failure()
      : CircuitBreaker.ignored

  const send = <A = unknown>(command: string, ...args: ReadonlyArray<string>): Effect.Effect<A, RedisUnavailable> =>
    Effect.suspend(() => {
      if (!client.isReady) return Effect.fail(new RedisUnavailable({ reason: "offline" }))
      return answeredWithin(() => client.sendCommand([command, ...args]) as Promise<A>, {
        timeout,
        onTimeout: () => new RedisUnavailable({ reason: `no answer within ${Duration.format(timeout)}` }),
        onFailure: (cause) => new RedisUnavailable({ reason: String(cause) })
      }).pipe(
        breaker.execute({ key: "redis", classify: classify<A> }),
        Effect.catchTag(
          "CircuitBreakerError",
          (error) => Effect.fail(new RedisUnavailable({ reason: `circuit ${error.reason._tag}` }))
        )
      )
    })

  const failed = (message: string) => Effect.fail(new Redis.RedisError({ cause: message }))
  const redis = yield* Redis.make({
    send: (command, ...args) =>
      Effect.mapError(send(command, ...args), (error) => new Redis.RedisError({ cause: error.reason })),
    // Nothing here subscribes or blocks: both are refused rather than implemented half-way.
    subscribe: () => failed("subscribe is not supported on a soft Redis"),
    connect: failed("reserved connections are not supported on a soft Redis")
  })
  return SoftRedis.of({
    send,
    available: () => client.isReady && !circuitOpen,
    redis,
    keyPrefix: options.keyPrefix ?? ""
  })
})
