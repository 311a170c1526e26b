import { Config, Context, Effect, Layer } from "effect"
import type { ActiveStep } from "./saga/SagaState.ts"

/** Step boundaries where the crash tests kill the process: after the order is stored, and after each saga step. */
export type Failpoint = "after_create" | `after_${ActiveStep}`

/**
 * Named crash points for the crash-recovery tests: with `FAILPOINTS=after_reserve,after_charge` the process
 * SIGKILLs itself right after that step's remote call succeeded and before its outcome is persisted, the worst
 * moment for a saga. Unset in production.
 */
export class Failpoints extends Context.Service<Failpoints, {
  readonly hit: (name: Failpoint) => Effect.Effect<void>
}>()("order/Failpoints") {
  static readonly make = (enabled: ReadonlySet<string>) =>
    Failpoints.of({
      hit: (name) =>
        enabled.has(name)
          ? Effect.logWarning("failpoint reached: killing the process", name).pipe(
            Effect.andThen(Effect.sync(() => process.kill(process.pid, "SIGKILL"))),
            Effect.andThen(Effect.never)
          )
          : Effect.void
    })

  static readonly layer = Layer.effect(
    Failpoints,
    Effect.gen(function*() {
      const names = yield* Config.String("FAILPOINTS").pipe(Config.withDefault(""))
      const enabled = new Set(names.split(",").map((name) => name.trim()).filter((name) => name !== ""))
      if (enabled.size > 0) yield* Effect.logWarning("failpoints enabled", [...enabled].join(","))
      return Failpoints.make(enabled)
    })
  )

  static readonly layerNoop = Layer.succeed(Failpoints, Failpoints.make(new Set()))
}
