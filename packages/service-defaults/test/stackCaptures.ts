import { Effect } from "effect"

/**
 * Runs `effect` and counts the `Error`s constructed meanwhile while `Error.stackTraceLimit` was above 0: each is a
 * stack walk by V8. The global `Error` is swapped for a subclass that counts and forwards `stackTraceLimit` to the
 * real one, so what the code under test sets still decides what V8 captures.
 */
export const countStackCaptures = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.suspend(() => {
    const original = globalThis.Error
    let captures = 0
    class Counting extends original {
      static override get stackTraceLimit() {
        return original.stackTraceLimit
      }
      static override set stackTraceLimit(value: number) {
        original.stackTraceLimit = value
      }
      constructor(...args: ConstructorParameters<ErrorConstructor>) {
        super(...args)
        if (original.stackTraceLimit > 0) captures++
      }
    }
    globalThis.Error = Counting as ErrorConstructor
    return effect.pipe(
      Effect.map((value) => ({ value, captures })),
      Effect.ensuring(Effect.sync(() => {
        globalThis.Error = original
      }))
    )
  })
