import { Context, Effect, Exit, Layer, Scope } from "effect"
import * as GrpcServer from "../../src/grpc/GrpcServer.ts"

/**
 * Starts a server on a free loopback port in its own scope, so a test can close it while calls are in flight;
 * the test's scope closes it too.
 */
export const startServer = Effect.fnUntraced(function*<E, R>(
  services: Layer.Layer<never, E, R>,
  options?: Partial<GrpcServer.GrpcServerOptions>
) {
  const scope = yield* Scope.make()
  yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
  const context = yield* Layer.buildWithScope(
    GrpcServer.layer(services, { host: "127.0.0.1", port: 0, ...options }),
    scope
  )
  const server = Context.get(context, GrpcServer.GrpcServer)
  return { server, scope, address: `127.0.0.1:${server.port}` }
})
