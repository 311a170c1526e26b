import { Duration, Effect, Random, Schedule } from "effect"

/**
 * The platform's one backoff: the n-th retry waits at most `min(cap, base * 2^(n-1))`, jittered with Effect's
 * `Random` (so a test controls it), either over the whole range (`full`: spreads the retries of many callers hit by
 * one outage) or over its upper half (`equal`: never retries much sooner than the exponential step).
 *
 * In-process retries use {@link schedule}; retries persisted between attempts (a saga step, a delivery) ask
 * {@link delay} for the wait of attempt n.
 */
export interface Backoff {
  readonly base: Duration.Input
  readonly cap: Duration.Input
  readonly jitter: "full" | "equal"
}

/** The longest wait before retry `retry` (1-based): `min(cap, base * 2^(retry-1))`. */
export const ceiling = (backoff: Pick<Backoff, "base" | "cap">, retry: number): Duration.Duration => {
  const exponent = Math.min(Math.max(retry - 1, 0), 30)
  return Duration.min(
    Duration.millis(Duration.toMillis(backoff.base) * 2 ** exponent),
    Duration.fromInputUnsafe(backoff.cap)
  )
}

/** The wait before retry `retry` (1-based), jittered. */
export const delay = (backoff: Backoff, retry: number): Effect.Effect<Duration.Duration> =>
  Effect.map(Random.next, (random) => {
    const top = Duration.toMillis(ceiling(backoff, retry))
    const low = backoff.jitter === "full" ? 0 : top / 2
    return Duration.millis(Math.floor(low + random * (top - low)))
  })

/** The backoff as a `Schedule` for `Effect.retry` / `Effect.repeat` (unbounded: bound it with `times` or `while`). */
export const schedule = (backoff: Backoff): Schedule.Schedule<Duration.Duration> =>
  Schedule.exponential(backoff.base).pipe(Schedule.modifyDelay(({ attempt }) => delay(backoff, attempt)))
