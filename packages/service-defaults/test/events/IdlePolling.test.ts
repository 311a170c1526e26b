import { Duration } from "effect"
import { describe, expect, it } from "vitest"
import { idlePolling } from "../../src/events/IdlePolling.ts"

const millis = (d: Duration.Duration) => Duration.toMillis(d)

describe("idlePolling", () => {
  it("doubles the wait after each idle round up to the maximum, and starts over after work", () => {
    const polling = idlePolling("200 millis", "2 seconds")
    expect([1, 2, 3, 4, 5, 6].map(() => millis(polling.idle()))).toEqual([200, 400, 800, 1600, 2000, 2000])
    polling.busy()
    expect(millis(polling.idle())).toBe(200)
  })

  it("never slows down without a maximum, or with one below the base", () => {
    const fixed = idlePolling("500 millis", undefined)
    expect([1, 2, 3].map(() => millis(fixed.idle()))).toEqual([500, 500, 500])
    const below = idlePolling("500 millis", "100 millis")
    expect([1, 2].map(() => millis(below.idle()))).toEqual([500, 500])
  })
})
