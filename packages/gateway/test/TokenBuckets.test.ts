import { assert, describe, it } from "@effect/vitest"
import { Duration, Option } from "effect"
import { HttpServerRequest } from "effect/http"
import { clientAddress, parseTrustedProxies } from "../src/ratelimit/ClientKey.ts"
import { TokenBuckets } from "../src/ratelimit/TokenBuckets.ts"

const quota = { limit: 3, window: Duration.minutes(1) }
const windowMs = 60_000
const refresh = { after: 1_000, activeWithin: 10_000 }

describe("token buckets", () => {
  it("a bucket of `limit` refilled at limit/window; headers' numbers follow it", () => {
    const buckets = new TokenBuckets(100)
    const decisions = [0, 1, 2, 3].map(() => buckets.consume("a", quota, windowMs, 0))
    assert.deepStrictEqual(decisions.map((d) => d.allowed), [true, true, true, false])
    assert.deepStrictEqual(decisions.map((d) => d.remaining), [2, 1, 0, 0])
    assert.strictEqual(decisions[3]!.retryAfterSeconds, 20) // one token per 20 s
    assert.strictEqual(decisions[2]!.resetSeconds, 60) // empty: full again in a window
    assert.isFalse(buckets.consume("a", quota, windowMs, 19_000).allowed)
    assert.isTrue(buckets.consume("a", quota, windowMs, 20_000).allowed)
    assert.isTrue(buckets.consume("b", quota, windowMs, 20_000).allowed) // budgets are per key
  })

  it("reports what it spent and adopts the shared level minus what it spent since", () => {
    const buckets = new TokenBuckets(100)
    buckets.consume("a", quota, windowMs, 0)
    buckets.consume("a", quota, windowMs, 0)
    const sent = buckets.takeSpent(10, 0, refresh)
    assert.deepStrictEqual(sent, [{ key: "a", spent: 2, limit: 3, windowMs }])
    buckets.consume("a", quota, windowMs, 1) // while the report is on its way
    buckets.adopt("a", 0, 2) // another gateway spent the last token meanwhile
    assert.isFalse(buckets.consume("a", quota, windowMs, 2).allowed)
    assert.deepStrictEqual(buckets.takeSpent(10, 2, refresh).map((s) => s.spent), [1])
  })

  it("refreshes a recently used bucket that spent nothing, and forgets it once idle", () => {
    const buckets = new TokenBuckets(100)
    buckets.consume("a", quota, windowMs, 0)
    assert.lengthOf(buckets.takeSpent(10, 0, refresh), 1)
    buckets.adopt("a", 2, 0)
    assert.lengthOf(buckets.takeSpent(10, 500, refresh), 0) // fresh enough
    assert.deepStrictEqual(buckets.takeSpent(10, 1_500, refresh), [{ key: "a", spent: 0, limit: 3, windowMs }])
    assert.lengthOf(buckets.takeSpent(10, 20_000, refresh), 0) // unused for 20 s: no longer refreshed
  })

  it("stays within its bound: refilled buckets go first, then the oldest, counted", () => {
    const buckets = new TokenBuckets(3)
    for (const key of ["a", "b", "c"]) buckets.consume(key, quota, windowMs, 0)
    buckets.takeSpent(10, 0, refresh)
    buckets.consume("d", quota, windowMs, 1) // all three are still spent: the oldest goes
    assert.strictEqual(buckets.size, 3)
    assert.strictEqual(buckets.evicted, 1)
    assert.isTrue(buckets.consume("a", quota, windowMs, 2).allowed) // a forgotten caller starts full again
    for (let i = 0; i < 10_000; i++) buckets.consume(`flood-${i}`, quota, windowMs, 3)
    assert.strictEqual(buckets.size, 3)
    // once a window has passed and nothing is owed, a sweep empties the store
    buckets.takeSpent(100_000, 3, refresh)
    buckets.takeSpent(100_000, 3 + 11_000, refresh)
    buckets.sweep(3 + windowMs)
    assert.strictEqual(buckets.size, 0)
  })
})

const requestFrom = (peer: string, forwardedFor?: string) =>
  HttpServerRequest.fromWeb(
    new Request(
      "http://gateway/api/v1/products",
      forwardedFor === undefined ? {} : {
        headers: { "x-forwarded-for": forwardedFor }
      }
    )
  ).modify({ remoteAddress: Option.some(peer) })

describe("the client address behind proxies", () => {
  const proxies = parseTrustedProxies("10.0.0.0/8, 192.168.1.7, fd00::/8")
  if (typeof proxies === "string") throw new Error(proxies)

  it("without trusted proxies, X-Forwarded-For is ignored: a client cannot pick its own budget", () => {
    assert.strictEqual(clientAddress(requestFrom("203.0.113.9", "198.51.100.1"), undefined), "203.0.113.9")
    assert.strictEqual(clientAddress(requestFrom("::ffff:203.0.113.9"), undefined), "203.0.113.9")
  })

  it("behind trusted proxies, the first untrusted hop from the right is the client; what it wrote is ignored", () => {
    assert.strictEqual(clientAddress(requestFrom("10.1.2.3", "198.51.100.7, 203.0.113.5"), proxies), "203.0.113.5")
    assert.strictEqual(
      clientAddress(requestFrom("10.1.2.3", "1.1.1.1, 203.0.113.5, 192.168.1.7"), proxies),
      "203.0.113.5"
    )
    assert.strictEqual(clientAddress(requestFrom("fd00::1", "[2001:db8::5]:443"), proxies), "2001:db8::5")
    // an untrusted peer's header is not believed at all
    assert.strictEqual(clientAddress(requestFrom("203.0.113.9", "10.0.0.1"), proxies), "203.0.113.9")
    // garbage stops the walk at the last trusted hop rather than letting the client name anything
    assert.strictEqual(clientAddress(requestFrom("10.1.2.3", "evil, junk"), proxies), "10.1.2.3")
    assert.strictEqual(clientAddress(requestFrom("10.1.2.3"), proxies), "10.1.2.3")
  })

  it("refuses a setting that is not addresses and CIDR blocks", () => {
    assert.isString(parseTrustedProxies("10.0.0.0/33"))
    assert.isString(parseTrustedProxies("proxy.internal"))
    assert.notStrictEqual(typeof parseTrustedProxies(""), "string")
  })
})
