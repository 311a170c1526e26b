import * as grpc from "@grpc/grpc-js"
import {
  type DomainError,
  type Operation,
  type OperationError,
  OperationErrors,
  ServiceUnavailable,
  type Unreachable
} from "@shop/domain"
import { Config, Duration, Effect, Option, type Scope } from "effect"
import { spanName, splitPath, type UnaryMethod } from "./GrpcMethod.ts"
import { codeName, toDomainError } from "./GrpcStatus.ts"
import { NotImplemented, UnexpectedPeerError } from "./PeerDefects.ts"
import { ServiceIdentity } from "./ServiceIdentity.ts"
import { CurrentTraceState, inject } from "./TraceMetadata.ts"

/** What the client needs of a generated method definition (e.g. `PaymentServiceService.processPayment`). */
export type ClientMethod<Req, Res> = Pick<UnaryMethod<Req, Res>, "path" | "requestSerialize" | "responseDeserialize">

export interface CallOptions {
  /** Time allowed for this call; the client's default deadline when unset. */
  readonly deadline?: Duration.Input | undefined
  /** Extra request metadata; the trace context is added to it. */
  readonly metadata?: grpc.Metadata | undefined
}

/** A channel to one peer service, with traced, deadline-bound unary calls that fail with domain errors. */
export interface GrpcClient {
  /** The peer's logical name (e.g. "payment"), used in errors made up from bare status codes. */
  readonly service: string
  readonly address: string
  /** The underlying grpc-js client, for streaming calls. */
  readonly client: grpc.Client
  /** A call whose errors are whatever the peer sent (its domain error, or one made up from the status code). */
  readonly unary: <Req, Res>(
    method: ClientMethod<Req, Res>,
    request: Req,
    options?: CallOptions
  ) => Effect.Effect<Res, DomainError>
  /**
   * A call of one operation of the platform: it fails only with the errors that operation declares
   * (`OperationErrors`) or with {@link Unreachable}; see {@link narrowTo}.
   */
  readonly call: <Req, Res, Op extends Operation>(
    method: ClientMethod<Req, Res>,
    request: Req,
    operation: Op,
    options?: CallOptions
  ) => Effect.Effect<Res, OperationError<Op> | Unreachable>
}

export interface GrpcClientOptions {
  readonly service: string
  /** Deadline of calls that do not set their own. Default: 5 seconds. */
  readonly deadline?: Duration.Input | undefined
  /**
   * `host:port`, or any grpc-js target: `dns:///product:50051` (every address the name resolves to, as a headless
   * Kubernetes Service gives), `ipv4:10.0.0.1:50051,10.0.0.2:50051`.
   */
  readonly address: string
  /** Default: insecure (plaintext), as inside the cluster network. */
  readonly credentials?: grpc.ChannelCredentials | undefined
  readonly channelOptions?: grpc.ChannelOptions | undefined
}

/**
 * One raw unary call: no span and no error mapping. Interrupting the effect cancels the call.
 */
export const invoke = <Req, Res>(
  client: grpc.Client,
  method: ClientMethod<Req, Res>,
  request: Req,
  metadata: grpc.Metadata,
  deadline: Date
): Effect.Effect<Res, grpc.ServiceError> =>
  Effect.callback<Res, grpc.ServiceError>((resume) => {
    // grpc-js records the caller's stack for every call (a `new Error`, which V8 fills by walking the stack) to
    // append it to a failed call's error. Here the caller is always this function run by a fiber, so that stack
    // names nothing useful; the span and the domain error do. Without it the call costs no stack walk.
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    try {
      const call = client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        metadata,
        { deadline },
        (error, response) => {
          if (error !== null) resume(Effect.fail(error))
          else if (response === undefined) resume(Effect.die(new Error(`${method.path}: empty response`)))
          else resume(Effect.succeed(response))
        }
      )
      return Effect.sync(() => call.cancel())
    } finally {
      Error.stackTraceLimit = limit
    }
  })

const defaultDeadline = Duration.seconds(5)

/**
 * Narrows what a peer answered to what the operation declares. Its declared errors pass as they are, and so do
 * unavailable and deadline; a peer's internal failure is an unavailable peer (try later); anything else means the
 * caller sent what the peer refused or the peer broke its contract, a bug: a defect, logged where it surfaces.
 */
export const narrowTo = <Op extends Operation>(operation: Op, service: string, path: string) =>
(
  error: DomainError
): Effect.Effect<never, OperationError<Op> | Unreachable> => {
  const declared: ReadonlyArray<string> = OperationErrors[operation]
  if (declared.includes(error._tag)) return Effect.fail(error as OperationError<Op>)
  switch (error._tag) {
    case "DeadlineExceeded":
    case "ServiceUnavailable":
      return Effect.fail(error)
    case "InternalError":
      return Effect.fail(new ServiceUnavailable({ service, detail: "the service failed" }))
    default:
      return Effect.die(
        new UnexpectedPeerError({ service, method: splitPath(path)[1], error: error._tag, detail: error.message })
      )
  }
}

/** Builds a {@link GrpcClient} around a `unary` implementation (so wrappers such as a breaker keep `call`). */
export const fromUnary = (
  peer: Pick<GrpcClient, "service" | "address" | "client">,
  unary: GrpcClient["unary"]
): GrpcClient => ({
  ...peer,
  unary,
  call: (method, request, operation, options) =>
    Effect.catch(unary(method, request, options), narrowTo(operation, peer.service, method.path))
})

const roundRobin = JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] })

/**
 * Opens a channel for the lifetime of the current scope; closing the scope closes the channel. With a
 * `ServiceIdentity` in context (every service has one, see `runService`), each call carries a service token
 * addressed to `options.service`, which the callee verifies.
 */
export const make = Effect.fnUntraced(function*(options: GrpcClientOptions) {
  const identity = Option.getOrUndefined(yield* Effect.serviceOption(ServiceIdentity))
  // A service that cannot sign must not start; its calls would all be refused.
  if (identity !== undefined) yield* Effect.orDie(identity.ready)
  const client = yield* Effect.acquireRelease(
    Effect.sync(() =>
      new grpc.Client(
        options.address,
        options.credentials ?? grpc.credentials.createInsecure(),
        // Round robin over every address of the target, call by call: with a name that resolves to all replicas,
        // load spreads per call rather than per connection (grpc-js' default, pick_first, uses one address).
        // Round robin reconnects a lost peer eagerly, with a backoff that grows to two minutes by default: a peer
        // that comes back after a long outage would then be refused calls for that long. One second at most.
        {
          "grpc.service_config": roundRobin,
          "grpc.initial_reconnect_backoff_ms": 100,
          "grpc.max_reconnect_backoff_ms": 1_000,
          ...options.channelOptions
        }
      )
    ),
    (channel) => Effect.sync(() => channel.close())
  )
  const fallbackDeadline = Duration.toMillis(options.deadline ?? defaultDeadline)
  const [host = options.address, port = "0"] = options.address.replace(/^dns:\/\/\//, "").split(/:(?=\d+$)/)

  const unary = <Req, Res>(method: ClientMethod<Req, Res>, request: Req, callOptions?: CallOptions) => {
    const [rpcService, rpcMethod] = splitPath(method.path)
    return Effect.useSpan(spanName(method.path), {
      kind: "client",
      attributes: {
        "rpc.system": "grpc",
        "rpc.service": rpcService,
        "rpc.method": rpcMethod,
        "server.address": host,
        "server.port": Number(port)
      }
    }, (span) =>
      Effect.flatMap(CurrentTraceState, (traceState) => {
        const metadata = inject(callOptions?.metadata?.clone() ?? new grpc.Metadata(), span, traceState)
        if (identity !== undefined) metadata.set("authorization", identity.credentialsFor(options.service))
        const millis = callOptions?.deadline === undefined ? fallbackDeadline : Duration.toMillis(callOptions.deadline)
        return invoke(client, method, request, metadata, new Date(Date.now() + millis)).pipe(
          Effect.tap(() => Effect.sync(() => span.attribute("rpc.grpc.status_code", grpc.status.OK))),
          Effect.catch((error) => {
            span.attribute("rpc.grpc.status_code", error.code)
            span.attribute("rpc.grpc.status", codeName(error.code))
            return error.code === grpc.status.UNIMPLEMENTED
              ? Effect.die(new NotImplemented({ service: options.service, method: rpcMethod }))
              : Effect.fail(toDomainError(error, options.service))
          })
        )
      }))
  }

  return fromUnary({ service: options.service, address: options.address, client }, unary)
})

/** Like {@link make}, with the address, service name and deadline read from configuration. */
export const makeConfig = (
  config: Config.Wrap<{ readonly address: string; readonly service: string; readonly deadline: Duration.Duration }>
): Effect.Effect<GrpcClient, Config.ConfigError, Scope.Scope> => Effect.flatMap(Config.unwrap(config), make)
