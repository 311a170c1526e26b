import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import type { HttpRouter } from "effect/http"
import { AdminServerLive } from "./AdminServer.ts"
import { ServiceIdentity } from "./grpc/ServiceIdentity.ts"
import { HealthChecks } from "./HealthChecks.ts"
import { ObservabilityLive } from "./Observability.ts"

/** A service: its name (in logs, traces, metrics and its service tokens) and its default admin port. */
export interface ServiceDescriptor {
  readonly name: string
  readonly adminPort: number
}

/**
 * Runs a service until SIGINT/SIGTERM: observability first, then the admin server, then the service's own layers.
 * Closing the scope on a signal releases everything in reverse order (the gRPC server drains before the database
 * pool closes). The service's layers get its `ServiceIdentity` (its gRPC clients sign their calls with it, its
 * gRPC server verifies callers with it); its key is loaded only by a service that calls or serves gRPC.
 */
export const runService = <E, E2 = never>(
  identity: ServiceDescriptor,
  app: Layer.Layer<never, E, HealthChecks | ServiceIdentity>,
  options?: {
    /** Routes of the service's own on its admin port, beside /healthz, /readyz and /metrics. */
    readonly adminRoutes?: Layer.Layer<never, E2, HttpRouter.HttpRouter> | undefined
  }
) => {
  // Ready only once every layer of the service is built: the gRPC port bound, migrations applied.
  const started = Layer.effectDiscard(HealthChecks.use((checks) => checks.markStarted)).pipe(
    Layer.provide(app),
    Layer.provide(ServiceIdentity.layer(identity.name))
  )
  const admin = AdminServerLive(identity.name, identity.adminPort, options?.adminRoutes ?? Layer.empty)
  const main = Layer.mergeAll(admin, started).pipe(
    Layer.provide(HealthChecks.layer)
  )
  Layer.launch(main).pipe(
    Effect.tapCause((cause) => Effect.logError("service failed to start", cause)),
    Effect.provide(ObservabilityLive(identity.name)),
    NodeRuntime.runMain({ disableErrorReporting: true })
  )
}
