import { Config, Duration, Effect, Layer } from "effect"
import * as GrpcServer from "./grpc/GrpcServer.ts"
import { authenticator, ServiceIdentity } from "./grpc/ServiceIdentity.ts"
import { HealthChecks } from "./HealthChecks.ts"

/**
 * The service's gRPC server on `GRPC_HOST:GRPC_PORT` (default `127.0.0.1:defaultPort`: loopback only, containers set
 * `GRPC_HOST=0.0.0.0`), serving `services`. Every call must carry a service token the service's identity verifies,
 * from a caller the platform's CallerPolicy allows for the method. Its grpc.health.v1 status (open to anyone)
 * follows the service's readiness checks, so a peer asking the gRPC health protocol learns that the service's
 * database is down, not only that its port is open.
 *
 * A serving service runs its checks again every `GRPC_HEALTH_INTERVAL` (1 s); one that is not ready, every second
 * whatever the setting, so that it says SERVING soon after it is (its database back), and at once when its start-up
 * finishes: a check that found it still starting is run again the moment it has started, instead of up to a second
 * later (peers, the gateway's /healthz and the launcher waited that long for every service). The embedded platform
 * sets 5 s: the checks ping the database, four queries a second on the embedded databases of an idle platform.
 */
export const GrpcServerLive = <E, R>(defaultPort: number, services: Layer.Layer<never, E, R>) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const server = yield* GrpcServer.GrpcServer
    const checks = yield* HealthChecks
    const interval = yield* Config.Duration("GRPC_HEALTH_INTERVAL").pipe(Config.withDefault(Duration.seconds(1)))
    const whileNotReady = Duration.min(interval, Duration.seconds(1))
    const follow = Effect.gen(function*() {
      const results = yield* checks.run
      const ready = results.every((check) => check.ok)
      for (const name of ["", ...server.services]) {
        yield* server.setServingStatus(name, ready ? "SERVING" : "NOT_SERVING")
      }
      if (ready) return Effect.sleep(interval)
      const starting = results.some((check) => check.name === "startup" && !check.ok)
      return starting ? Effect.raceFirst(Effect.sleep(whileNotReady), checks.whenStarted) : Effect.sleep(whileNotReady)
    })
    yield* Effect.forkScoped(Effect.forever(Effect.flatten(follow)))
  })).pipe(
    Layer.provideMerge(Layer.unwrap(Effect.gen(function*() {
      const identity = yield* ServiceIdentity
      yield* identity.ready
      return GrpcServer.layer(services, {
        host: yield* Config.String("GRPC_HOST").pipe(Config.withDefault("127.0.0.1")),
        port: yield* Config.Int("GRPC_PORT").pipe(Config.withDefault(defaultPort)), // 0 picks a free port
        shutdownTimeout: yield* Config.Duration("GRPC_SHUTDOWN_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10))),
        maxConnectionAge: yield* Config.Duration("GRPC_MAX_CONNECTION_AGE").pipe(
          Config.withDefault(Duration.minutes(5))
        ),
        authenticate: authenticator(identity)
      })
    })))
  )
