import * as grpc from "@grpc/grpc-js"
import type { DomainError } from "@shop/domain"
import { Cause, Context, Effect, Exit, type Fiber, Layer, Option } from "effect"
import { spanName as toSpanName, splitPath, type UnaryMethod } from "./GrpcMethod.ts"
import { forMethod } from "./GrpcMetrics.ts"
import { fromCause } from "./GrpcStatus.ts"
import { type CallAuthenticator, VerifiedCaller } from "./ServiceIdentity.ts"
import { CurrentTraceState, extract, extractTraceState } from "./TraceMetadata.ts"

/** The call a handler is serving: its metadata (e.g. credentials), peer and deadline. */
export class GrpcCall extends Context.Service<GrpcCall, {
  readonly path: string
  readonly metadata: grpc.Metadata
  readonly peer: string
  readonly deadline: grpc.Deadline
}>()("service-defaults/GrpcCall") {}

/** One Effect handler per unary method of a generated service definition such as `ProductServiceService`. */
export type Handlers<S, R = any> = {
  readonly [K in keyof S as S[K] extends UnaryMethod<any, any> ? K : never]: S[K] extends
    UnaryMethod<infer Req, infer Res> ? (request: Req) => Effect.Effect<Res, DomainError, R | GrpcCall>
    : never
}

/** The services the handlers of `H` need, besides the `GrpcCall` every call provides. */
export type HandlersContext<H> = Exclude<
  { [K in keyof H]: H[K] extends (request: any) => Effect.Effect<any, any, infer R> ? R : never }[keyof H],
  GrpcCall
>

/** A service ready to be added to a grpc-js server. */
export interface RegisteredService {
  readonly name: string
  readonly definition: grpc.ServiceDefinition
  readonly implementation: grpc.UntypedServiceImplementation
}

/** Collects the services of one server while its layer is built, and tracks the calls in flight. */
export class GrpcServices extends Context.Service<GrpcServices, {
  readonly add: (service: RegisteredService) => void
  readonly services: ReadonlyArray<RegisteredService>
  readonly inFlight: Set<Fiber.Fiber<unknown, unknown>>
  /** Checks every call's service identity before its handler runs; none: every call is served (tests). */
  readonly authenticate: CallAuthenticator | undefined
}>()("service-defaults/GrpcServices") {
  static readonly make = (authenticate?: CallAuthenticator): GrpcServices["Service"] => {
    const services: Array<RegisteredService> = []
    return { add: (service) => services.push(service), services, inFlight: new Set(), authenticate }
  }
}

const deadlinePassed = (deadline: grpc.Deadline): boolean =>
  deadline instanceof Date ? deadline.getTime() <= Date.now() : Number.isFinite(deadline) && deadline <= Date.now()

/**
 * Adapts one Effect handler to grpc-js: each call runs as its own fiber with the services of `context`, inside a
 * server span whose parent is the caller's `traceparent`; a cancelled call (client gone, deadline passed)
 * interrupts the fiber. Failures become status codes through GrpcStatus; defects are logged, never sent. With an
 * `authenticate`, a call without a valid service identity allowed for the method is refused (UNAUTHENTICATED or
 * PERMISSION_DENIED) before anything runs, and handlers read the verified caller from `VerifiedCaller`.
 */
export const toUnaryHandler = <Req, Res, R>(
  path: string,
  handler: (request: Req) => Effect.Effect<Res, DomainError, R | GrpcCall>,
  context: Context.Context<R>,
  inFlight: Set<Fiber.Fiber<unknown, unknown>>,
  authenticate?: CallAuthenticator
): grpc.handleUnaryCall<Req, Res> => {
  const [service, method] = splitPath(path)
  const spanName = toSpanName(path)
  const attributes = { "rpc.system": "grpc", "rpc.service": service, "rpc.method": method }
  const metrics = forMethod(service, method)
  const logDefect = (cause: Cause.Cause<DomainError>) =>
    Cause.hasDies(cause) ? Effect.logError(`${spanName} failed with a defect`, cause) : Effect.void

  return (call, callback) => {
    const started = performance.now()
    const verdict = authenticate?.(call.metadata, path)
    if (verdict !== undefined && "code" in verdict) {
      callback({ code: verdict.code, details: verdict.details })
      return metrics.record(verdict.code, (performance.now() - started) / 1000, context)
    }
    const parent = Option.getOrUndefined(extract(call.metadata))
    const callContext = Context.add(
      Context.add(
        Context.add(context, GrpcCall, {
          path,
          metadata: call.metadata,
          peer: call.getPeer(),
          deadline: call.getDeadline()
        }),
        CurrentTraceState,
        extractTraceState(call.metadata)
      ),
      VerifiedCaller,
      verdict?.caller
    )
    const effect = Effect.suspend(() => handler(call.request)).pipe(
      Effect.tapCause(logDefect),
      Effect.withSpan(spanName, { kind: "server", parent, root: parent === undefined, attributes }, {
        captureStackTrace: false
      })
    )
    // Registered before the handler runs: it may resume other fibers (even a shutdown) synchronously.
    const fiber = Effect.runForkWith(callContext)(Effect.withFiber((self) => {
      inFlight.add(self)
      return effect
    }))
    let cancelled = false
    const onCancelled = () => {
      cancelled = true
      fiber.interruptUnsafe()
    }
    call.once("cancelled", onCancelled)
    fiber.addObserver((exit) => {
      inFlight.delete(fiber)
      call.removeListener("cancelled", onCancelled)
      let code: grpc.status
      if (cancelled) {
        // grpc-js has already answered the client; only the metric is left.
        code = deadlinePassed(call.getDeadline()) ? grpc.status.DEADLINE_EXCEEDED : grpc.status.CANCELLED
      } else if (Exit.isSuccess(exit)) {
        code = grpc.status.OK
        callback(null, exit.value)
      } else {
        const status = fromCause(exit.cause)
        code = status.code
        callback(status)
      }
      metrics.record(code, (performance.now() - started) / 1000, callContext)
    })
  }
}

type AnyHandler<R> = (request: unknown) => Effect.Effect<unknown, DomainError, R | GrpcCall>

const register = <R, E, R2>(
  definition: Record<string, unknown>,
  handlers: object | Effect.Effect<object, E, R2>
): Layer.Layer<never, E, GrpcServices | R | R2> =>
  Layer.effectDiscard(Effect.gen(function*() {
    const impl: object = Effect.isEffect(handlers) ? yield* (handlers as Effect.Effect<object, E, R2>) : handlers
    const registry = yield* GrpcServices
    // The handlers' services (R) are the ones of this layer; each call adds its own GrpcCall.
    const context = yield* Effect.context<R>()
    const implementation: grpc.UntypedServiceImplementation = {}
    for (const [key, handler] of Object.entries(impl) as Array<[string, AnyHandler<R> | undefined]>) {
      const method = definition[key] as UnaryMethod<unknown, unknown>
      if (handler !== undefined) {
        implementation[key] = toUnaryHandler(method.path, handler, context, registry.inFlight, registry.authenticate)
      }
    }
    const first = Object.values(definition)[0] as UnaryMethod<unknown, unknown> | undefined
    registry.add({
      name: first === undefined ? "" : splitPath(first.path)[0],
      definition: definition as unknown as grpc.ServiceDefinition,
      implementation
    })
  }))

/**
 * Serves a generated service definition (e.g. `ProductServiceService`) with one Effect handler per unary method,
 * on the server built by `GrpcServer.layer`. Handlers may use the services of this layer's context (R) and the
 * `GrpcCall` being served; `handlers` may also be an Effect that builds them.
 */
export const layer = <S extends Record<string, unknown>, H extends Handlers<S>, E = never, R2 = never>(
  definition: S,
  handlers: H | Effect.Effect<H, E, R2>
): Layer.Layer<never, E, GrpcServices | HandlersContext<H> | R2> =>
  register<HandlersContext<H>, E, R2>(definition, handlers)

/** Like {@link layer} for a service still being built: methods without a handler answer UNIMPLEMENTED. */
export const layerPartial = <S extends Record<string, unknown>, H extends Partial<Handlers<S>>, E = never, R2 = never>(
  definition: S,
  handlers: H | Effect.Effect<H, E, R2>
): Layer.Layer<never, E, GrpcServices | HandlersContext<H> | R2> =>
  register<HandlersContext<H>, E, R2>(definition, handlers)
