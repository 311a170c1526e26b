import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { AdminServerLive } from "./AdminServer.ts"
import { HealthChecks } from "./HealthChecks.ts"
import { ObservabilityLive } from "./Observability.ts"

/** Identity of a service: its name (in logs, traces and metrics) and its default admin port. */
export interface ServiceIdentity {
  readonly name: string
  readonly adminPort: number
}

/**
 * Runs a service until SIGINT/SIGTERM: observability first, then the admin server, then the service's own layers.
 * Closing the scope on a signal releases everything in reverse order (the gRPC server drains before the database
 * pool closes).
 */
export const runService = <E>(identity: ServiceIdentity, app: Layer.Layer<never, E, HealthChecks>) => {
  // Ready only once every layer of the service is built: the gRPC port bound, migrations applied.
  const started = Layer.effectDiscard(HealthChecks.use((checks) => checks.markStarted)).pipe(
    Layer.provide(app)
  )
  const main = Layer.mergeAll(AdminServerLive(identity.name, identity.adminPort), started).pipe(
    Layer.provide(HealthChecks.layer)
  )
  Layer.launch(main).pipe(
    Effect.tapCause((cause) => Effect.logError("service failed to start", cause)),
    Effect.provide(ObservabilityLive(identity.name)),
    NodeRuntime.runMain({ disableErrorReporting: true })
  )
}
