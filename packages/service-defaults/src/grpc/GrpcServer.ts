import * as grpc from "@grpc/grpc-js"
import { Config, Context, Duration, Effect, Fiber, Layer, Schema } from "effect"
import * as GrpcHealth from "./GrpcHealth.ts"
import { GrpcServices } from "./GrpcService.ts"
import type { CallAuthenticator } from "./ServiceIdentity.ts"

/** The server could not bind its address. */
export class GrpcServerError extends Schema.TaggedError<GrpcServerError>()("GrpcServerError", {
  address: Schema.String,
  cause: Schema.Defect()
}) {
  override get message() {
    return `gRPC server could not bind ${this.address}`
  }
}

export interface GrpcServerOptions {
  /** Default "127.0.0.1" (loopback only); "0.0.0.0" listens on every interface. */
  readonly host?: string | undefined
  /** 0 picks a free port; read it back from `GrpcServer.port`. */
  readonly port: number
  /** How long calls in flight may take to finish on shutdown before they are cancelled. Default: 10 seconds. */
  readonly shutdownTimeout?: Duration.Input | undefined
  readonly credentials?: grpc.ServerCredentials | undefined
  /**
   * How long a client connection may live before the server asks the client to reconnect (GOAWAY, calls in flight
   * finish). Clients then resolve the peer's name again and spread over the replicas there are now, pods added by
   * an autoscaler included. Default: 5 minutes.
   */
  readonly maxConnectionAge?: Duration.Input | undefined
  readonly serverOptions?: grpc.ServerOptions | undefined
  /** Verifies the caller of every call (see ServiceIdentity); none serves every call, as in tests. */
  readonly authenticate?: CallAuthenticator | undefined
}

/** A running gRPC server: where it listens, and its entries in grpc.health.v1. */
export class GrpcServer extends Context.Service<GrpcServer, {
  readonly host: string
  readonly port: number
  /** Full names of the services served, e.g. "shop.product.v1.ProductService". */
  readonly services: ReadonlyArray<string>
  /** Sets the health of one service ("" for the whole server), e.g. NOT_SERVING while a dependency is down. */
  readonly setServingStatus: (service: string, status: GrpcHealth.ServingStatus) => Effect.Effect<void>
}>()("service-defaults/GrpcServer") {}

const bind = (server: grpc.Server, address: string, credentials: grpc.ServerCredentials) =>
  Effect.callback<number, GrpcServerError>((resume) => {
    server.bindAsync(address, credentials, (cause, port) => {
      resume(cause === null ? Effect.succeed(port) : Effect.fail(new GrpcServerError({ address, cause })))
    })
  })

const drain = Effect.fnUntraced(function*(
  server: grpc.Server,
  inFlight: Set<Fiber.Fiber<unknown, unknown>>,
  timeout: Duration.Input
) {
  yield* Effect.logInfo("gRPC server draining", { inFlight: inFlight.size })
  // Finalizers run uninterruptibly; the wait must be interruptible for the timeout to cut it short.
  const drained = yield* Effect.callback<boolean>((resume) => {
    server.tryShutdown(() => resume(Effect.succeed(true)))
  }).pipe(
    Effect.interruptible,
    Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.succeed(false) })
  )
  if (drained) return yield* Effect.logInfo("gRPC server stopped")
  yield* Effect.logWarning("gRPC server drain timed out; cancelling calls in flight", { inFlight: inFlight.size })
  server.forceShutdown()
  yield* Fiber.interruptAll([...inFlight])
})

const serve = (options: GrpcServerOptions) =>
  Effect.gen(function*() {
    const registry = yield* GrpcServices
    const host = options.host ?? "127.0.0.1"
    const health = GrpcHealth.makeStatuses()
    const server = new grpc.Server({
      "grpc.max_connection_age_ms": Duration.toMillis(
        Duration.fromInputUnsafe(options.maxConnectionAge ?? Duration.minutes(5))
      ),
      "grpc.max_connection_age_grace_ms": 30_000,
      ...options.serverOptions
    })
    server.addService(GrpcHealth.definition, health.implementation)
    for (const service of registry.services) server.addService(service.definition, service.implementation)

    const port = yield* Effect.acquireRelease(
      bind(server, `${host}:${options.port}`, options.credentials ?? grpc.ServerCredentials.createInsecure()),
      () =>
        Effect.sync(health.shutdown).pipe(
          Effect.andThen(drain(server, registry.inFlight, options.shutdownTimeout ?? Duration.seconds(10)))
        )
    )
    const services = registry.services.map((service) => service.name)
    for (const name of ["", ...services]) health.set(name, "SERVING")
    yield* Effect.logInfo("gRPC server listening", { host, port, services })
    return GrpcServer.of({
      host,
      port,
      services,
      setServingStatus: (service, status) => Effect.sync(() => health.set(service, status))
    })
  })

/**
 * Binds a grpc-js server serving the services registered by `services` (layers made with `GrpcService.layer`)
 * plus grpc.health.v1.Health. The services layer is built first, so nothing is served before every handler is
 * in place. When the layer's scope closes (NodeRuntime.runMain closes it on SIGTERM/SIGINT) health turns
 * NOT_SERVING, new calls are refused and calls in flight get `shutdownTimeout` to finish before they are cancelled.
 */
export const layer = <E, R>(
  services: Layer.Layer<never, E, R>,
  options: GrpcServerOptions
): Layer.Layer<GrpcServer, E | GrpcServerError, Exclude<R, GrpcServices>> =>
  Layer.effect(GrpcServer, serve(options)).pipe(
    Layer.provide(services),
    Layer.provide(Layer.sync(GrpcServices, () => GrpcServices.make(options.authenticate)))
  )

/** Like {@link layer}, with the address and shutdown timeout read from configuration. */
export const layerConfig = <E, R>(
  services: Layer.Layer<never, E, R>,
  config: Config.Wrap<{
    readonly host: string
    readonly port: number
    readonly shutdownTimeout: Duration.Duration
    readonly maxConnectionAge: Duration.Duration
  }>
): Layer.Layer<GrpcServer, E | GrpcServerError | Config.ConfigError, Exclude<R, GrpcServices>> =>
  Layer.unwrap(Effect.map(Config.unwrap(config), (options) => layer(services, options)))
