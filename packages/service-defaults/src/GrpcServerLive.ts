import { Config, Duration, Effect, Layer, Schedule } from "effect"
import * as GrpcServer from "./grpc/GrpcServer.ts"
import { HealthChecks } from "./HealthChecks.ts"

/**
 * The service's gRPC server on `GRPC_HOST:GRPC_PORT` (default `127.0.0.1:defaultPort`: loopback only, containers set
 * `GRPC_HOST=0.0.0.0`), serving `services`. Its
 * grpc.health.v1 status follows the service's readiness checks, so a peer asking the gRPC health protocol learns
 * that the service's database is down, not only that its port is open.
 */
export const GrpcServerLive = <E, R>(defaultPort: number, services: Layer.Layer<never, E, R>) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const server = yield* GrpcServer.GrpcServer
    const checks = yield* HealthChecks
    const follow = Effect.gen(function*() {
      const ready = (yield* checks.run).every((check) => check.ok)
      for (const name of ["", ...server.services]) {
        yield* server.setServingStatus(name, ready ? "SERVING" : "NOT_SERVING")
      }
    })
    yield* follow.pipe(Effect.repeat(Schedule.spaced("1 second")), Effect.forkScoped)
  })).pipe(
    Layer.provideMerge(GrpcServer.layerConfig(services, {
      host: Config.String("GRPC_HOST").pipe(Config.withDefault("127.0.0.1")),
      port: Config.Int("GRPC_PORT").pipe(Config.withDefault(defaultPort)), // 0 picks a free port
      shutdownTimeout: Config.Duration("GRPC_SHUTDOWN_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10))),
      maxConnectionAge: Config.Duration("GRPC_MAX_CONNECTION_AGE").pipe(Config.withDefault(Duration.minutes(5)))
    }))
  )
