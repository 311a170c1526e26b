import { Duration, Effect } from "effect"

/** Polls until `check` holds, failing after `timeout`: the machine is slow and shared, so waits are generous. */
export const eventually = <A, R>(
  read: Effect.Effect<A, never, R>,
  check: (a: A) => boolean,
  timeout: Duration.Input = "45 seconds"
) =>
  Effect.gen(function*() {
    const deadline = Date.now() + Duration.toMillis(Duration.fromInputUnsafe(timeout))
    while (true) {
      const value = yield* read
      if (check(value)) return value
      if (Date.now() > deadline) {
        return yield* Effect.die(new Error(`condition not met in time: ${JSON.stringify(value)}`))
      }
      yield* Effect.sleep("25 millis")
    }
  })
