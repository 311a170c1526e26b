import { Duration } from "effect"

/**
 * The wait of a poller that slows down while there is nothing to do: `base` after a busy round, then twice as long
 * after each idle round, never more than `max`. An idle platform then polls its databases a few times a second in
 * all instead of dozens (embedded PGlite has no LISTEN, so there polling is the only wake-up); the first piece of
 * work after a quiet spell waits at most `max`, and the next ones `base` again.
 */
export const idlePolling = (base: Duration.Input, max: Duration.Input | undefined) => {
  const baseMs = Duration.toMillis(Duration.fromInputUnsafe(base))
  const maxMs = Math.max(baseMs, max === undefined ? baseMs : Duration.toMillis(Duration.fromInputUnsafe(max)))
  let idleRounds = 0
  return {
    /** How long to wait after a round that found nothing. */
    idle: () => Duration.millis(Math.min(maxMs, baseMs * 2 ** Math.min(idleRounds++, 20))),
    /** A round found work: the next idle wait starts from `base` again. */
    busy: () => void (idleRounds = 0)
  }
}
