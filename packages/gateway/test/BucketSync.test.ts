import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { TestClock } from "effect/testing"
import { runBucketSync } from "../src/ratelimit/BucketSync.ts"
import { TokenBuckets } from "../src/ratelimit/TokenBuckets.ts"

describe("bucket sync", () => {
  it.effect("without Redis (embedded) a round runs every 10 s, not every sync interval: an idle gateway sleeps", () =>
    Effect.gen(function*() {
      let rounds = 0
      yield* runBucketSync({
        buckets: new TokenBuckets(10),
        redis: undefined,
        interval: Duration.millis(100),
        prefix: "test:",
        // Every round drains the count of fallback decisions first.
        takeFallbackCount: () => {
          rounds++
          return 0
        },
        setDegraded: () => undefined
      })
      yield* TestClock.adjust("1 second")
      assert.strictEqual(rounds, 1) // the one at start
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(rounds, 2)
    }).pipe(Effect.scoped))
})
