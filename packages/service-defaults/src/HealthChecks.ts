import { Context, Deferred, Duration, Effect, Layer, Ref } from "effect"

/** The outcome of one readiness check. */
export interface CheckResult {
  readonly name: string
  readonly ok: boolean
  readonly detail?: string
  readonly latencyMs: number
}

/**
 * The readiness checks of one process. Each infrastructure layer registers a check of its own dependency (the
 * database layer pings PostgreSQL, the Redis layer pings Redis), so `/readyz` checks exactly what the service uses.
 */
export class HealthChecks extends Context.Service<HealthChecks, {
  readonly register: (name: string, check: Effect.Effect<unknown, unknown>) => Effect.Effect<void>
  /** Declares start-up finished; until then the process is not ready, whatever its checks say. */
  readonly markStarted: Effect.Effect<void>
  /** Completes when start-up has finished (at once, once it has). */
  readonly whenStarted: Effect.Effect<void>
  readonly run: Effect.Effect<ReadonlyArray<CheckResult>>
}>()("service-defaults/HealthChecks") {
  static readonly layer = Layer.effect(
    HealthChecks,
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const startup = Effect.flatMap(Deferred.isDone(started), (done) => done ? Effect.void : Effect.fail("starting"))
      const checks = yield* Ref.make(new Map<string, Effect.Effect<unknown, unknown>>([["startup", startup]]))
      const runOne = (name: string, check: Effect.Effect<unknown, unknown>) =>
        check.pipe(
          Effect.timeout(Duration.seconds(2)),
          Effect.timed,
          Effect.map(([elapsed]): CheckResult => ({ name, ok: true, latencyMs: Duration.toMillis(elapsed) })),
          Effect.catchCause((cause) =>
            Effect.succeed<CheckResult>({ name, ok: false, detail: summarize(cause), latencyMs: -1 })
          )
        )
      return HealthChecks.of({
        register: (name, check) => Ref.update(checks, (map) => new Map(map).set(name, check)),
        markStarted: Effect.asVoid(Deferred.succeed(started, undefined)),
        whenStarted: Deferred.await(started),
        run: Effect.flatMap(
          Ref.get(checks),
          (map) => Effect.forEach(map, ([name, check]) => runOne(name, check), { concurrency: "unbounded" })
        )
      })
    })
  )
}

/** A short, safe description of a failed check: the error's tag or message, never a stack trace. */
const summarize = (cause: unknown): string => {
  const text = String(cause)
  const firstLine = text.split("\n")[0] ?? text
  return firstLine.length > 200 ? `${firstLine.slice(0, 200)}...` : firstLine
}
