import type { SoftRedis } from "@shop/service-defaults/Redis"
import { Clock, Duration, Effect, Metric, Schedule } from "effect"
import { Redis } from "effect/persistence"
import type { Spent, TokenBuckets } from "./TokenBuckets.ts"

/** Requests decided by a gateway's own buckets alone because the shared store (Redis) could not be reached. */
export const fallbackDecisions = Metric.counter("rate_limiter_fallback_total", {
  description: "Requests rate-limited by the gateway's local buckets alone while Redis was unreachable.",
  incremental: true
})

/** 1 while the buckets are reconciled with Redis, 0 while each gateway limits on its own. */
export const sharedStoreUp = Metric.gauge("rate_limiter_shared_store_up", {
  description: "1 while the gateway's rate-limit buckets are shared through Redis, 0 while they are local only."
})

/** Buckets dropped to keep the store within RATE_LIMIT_MAX_KEYS. */
export const bucketEvictions = Metric.counter("rate_limiter_evictions_total", {
  description: "Rate-limit buckets dropped to keep the gateway's store within its bound.",
  incremental: true
})

// One round trip for a batch of buckets. Each shared bucket is refilled to Redis's own clock (so that gateways'
// clocks do not matter), charged what the gateway spent (down to at most one bucket of debt), and returned in
// thousandths of a token. A bucket left alone expires once it would have refilled twice over.
const reconcile = Redis.script(
  (keys: ReadonlyArray<string>, args: ReadonlyArray<string>) => [...keys, ...args],
  {
    numberOfKeys: (keys: ReadonlyArray<string>) => keys.length,
    lua: `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local results = {}
for i, key in ipairs(KEYS) do
  local spent = tonumber(ARGV[3 * i - 2])
  local limit = tonumber(ARGV[3 * i - 1])
  local window = tonumber(ARGV[3 * i])
  local state = redis.call('HMGET', key, 't', 'ts')
  local tokens = tonumber(state[1])
  local at = tonumber(state[2])
  if tokens == nil or at == nil then
    tokens = limit
    at = now
  end
  tokens = math.min(limit, tokens + math.max(0, now - at) * limit / window)
  tokens = math.max(-limit, tokens - spent)
  redis.call('HSET', key, 't', string.format('%.6f', tokens), 'ts', string.format('%d', now))
  redis.call('PEXPIRE', key, window * 2)
  results[i] = math.floor(tokens * 1000)
end
return results
`
  }
).withReturnType<ReadonlyArray<number>>()

const batchSize = 500
const sweepEvery = Duration.seconds(10)

/**
 * Reconciles the gateway's buckets with the shared ones in Redis every `interval`, off the request path: what each
 * bucket spent here goes up, the level every gateway left comes back; a bucket used lately but idle here is
 * refreshed every ten intervals. A caller may therefore exceed its budget by what it manages to spend across all
 * gateways before they hear of each other: an interval of spending, or ten for a gateway it had left for a while.
 *
 * When Redis is unreachable (down, slow, its circuit open) the spending of the failed round is dropped and each
 * gateway limits on its own buckets: a caller gets up to the budget per gateway, never less. The switch is logged
 * once each way, and the requests decided that way are counted (`rate_limiter_fallback_total`). With no Redis at
 * all (embedded mode) there is nothing to reconcile and nothing is counted.
 */
export const runBucketSync = (options: {
  readonly buckets: TokenBuckets
  readonly redis: SoftRedis["Service"] | undefined
  readonly interval: Duration.Duration
  readonly prefix: string
  /** Requests decided while degraded, counted by the middleware and drained here. */
  readonly takeFallbackCount: () => number
  readonly setDegraded: (degraded: boolean) => void
}) =>
  Effect.gen(function*() {
    const { buckets, redis } = options
    // A bucket used within the last 10 s learns what other gateways spent at least every 10 sync intervals.
    const refresh = { after: 10 * Duration.toMillis(options.interval), activeWithin: 10_000 }
    let degraded = false
    let lastSweep = 0
    let evictedReported = 0
    const transition = (nowDegraded: boolean) =>
      Effect.gen(function*() {
        if (nowDegraded === degraded) return
        degraded = nowDegraded
        options.setDegraded(nowDegraded)
        yield* Metric.update(sharedStoreUp, nowDegraded ? 0 : 1)
        yield* nowDegraded
          ? Effect.logWarning("rate limiter: Redis unreachable, each gateway limits on its own buckets")
          : Effect.logInfo("rate limiter: Redis reachable again, budgets are shared")
      })
    const send = (batch: ReadonlyArray<Spent>) =>
      redis!.redis.eval(reconcile)(
        batch.map((spent) => `${options.prefix}${spent.key}`),
        batch.flatMap((spent) => [String(spent.spent), String(spent.limit), String(spent.windowMs)])
      )
    const round = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      if (now - lastSweep >= Duration.toMillis(sweepEvery)) {
        buckets.sweep(now)
        lastSweep = now
      }
      if (buckets.evicted !== evictedReported) {
        yield* Metric.update(bucketEvictions, buckets.evicted - evictedReported)
        evictedReported = buckets.evicted
      }
      const fallbacks = options.takeFallbackCount()
      if (fallbacks > 0) yield* Metric.update(fallbackDecisions, fallbacks)
      if (redis === undefined) return
      const take = () => buckets.takeSpent(batchSize, now, refresh)
      for (let batch = take(); batch.length > 0; batch = take()) {
        if (!redis.available()) return yield* transition(true)
        const levels = yield* Effect.result(send(batch))
        if (levels._tag === "Failure") return yield* transition(true)
        const at = yield* Clock.currentTimeMillis
        batch.forEach((spent, i) => buckets.adopt(spent.key, (levels.success[i] ?? 0) / 1000, at))
        yield* transition(false)
      }
      if (!redis.available()) yield* transition(true)
    })
    if (redis !== undefined) yield* Metric.update(sharedStoreUp, 1)
    // With no Redis a round only sweeps and reports evictions: every 10 s, not every interval, so that an idle
    // embedded gateway does not wake ten times a second for nothing.
    const every = redis === undefined ? sweepEvery : options.interval
    yield* round.pipe(Effect.repeat(Schedule.spaced(every)), Effect.forkScoped)
  })
