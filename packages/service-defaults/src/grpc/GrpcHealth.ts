import * as grpc from "@grpc/grpc-js"
import {
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus as Status,
  HealthService
} from "@shop/proto/grpc/health/v1/health"
import { Duration, Effect } from "effect"
import { invoke, make } from "./GrpcClient.ts"

/** The statuses a server sets for itself ("" is the whole server) and for each of its services. */
export type ServingStatus = typeof Status.SERVING | typeof Status.NOT_SERVING

/** The standard grpc.health.v1.Health service: statuses plus the grpc-js implementation that serves them. */
export interface HealthStatuses {
  readonly set: (service: string, status: ServingStatus) => void
  readonly get: (service: string) => ServingStatus | undefined
  /** NOT_SERVING everywhere, then ends every Watch stream so that a graceful shutdown is not held open. */
  readonly shutdown: () => void
  readonly implementation: grpc.UntypedServiceImplementation
}

export const definition: grpc.ServiceDefinition = HealthService

export const makeStatuses = (): HealthStatuses => {
  const statuses = new Map<string, ServingStatus>()
  const watchers = new Set<grpc.ServerWritableStream<HealthCheckRequest, HealthCheckResponse>>()
  let shutDown = false

  const statusOf = (service: string): HealthCheckResponse["status"] => statuses.get(service) ?? Status.SERVICE_UNKNOWN

  const set = (service: string, status: ServingStatus) => {
    if (shutDown || statuses.get(service) === status) return
    statuses.set(service, status)
    for (const watcher of watchers) {
      if (watcher.request.service === service) watcher.write({ status })
    }
  }

  const check: grpc.handleUnaryCall<HealthCheckRequest, HealthCheckResponse> = (call, callback) => {
    const status = statuses.get(call.request.service)
    if (status === undefined) callback({ code: grpc.status.NOT_FOUND, details: "unknown service" })
    else callback(null, { status })
  }

  const watch: grpc.handleServerStreamingCall<HealthCheckRequest, HealthCheckResponse> = (call) => {
    call.write({ status: statusOf(call.request.service) })
    if (shutDown) return call.end()
    watchers.add(call)
    call.on("cancelled", () => watchers.delete(call))
  }

  return {
    set,
    get: (service) => statuses.get(service),
    shutdown: () => {
      for (const service of statuses.keys()) set(service, Status.NOT_SERVING)
      shutDown = true
      for (const watcher of watchers) watcher.end()
      watchers.clear()
    },
    implementation: { check, watch }
  }
}

/** What a health check found: the peer's answer, or that it could not be asked. */
export type HealthCheckResult = "SERVING" | "NOT_SERVING" | "UNKNOWN" | "UNREACHABLE"

const toResult = (status: HealthCheckResponse["status"]): HealthCheckResult =>
  status === Status.SERVING ? "SERVING" : status === Status.NOT_SERVING ? "NOT_SERVING" : "UNKNOWN"

/**
 * Asks grpc.health.v1.Health/Check through an existing channel. An unknown service is UNKNOWN; any failure to
 * get an answer (connection refused, deadline, no health service) is UNREACHABLE.
 */
export const checkWith = (
  client: grpc.Client,
  service = "",
  deadline: Duration.Input = Duration.seconds(1)
): Effect.Effect<HealthCheckResult> =>
  Effect.suspend(() =>
    invoke(
      client,
      HealthService.check,
      { service },
      new grpc.Metadata(),
      new Date(Date.now() + Duration.toMillis(deadline))
    )
  ).pipe(Effect.match({
    onSuccess: (response) => toResult(response.status),
    onFailure: (error): HealthCheckResult => error.code === grpc.status.NOT_FOUND ? "UNKNOWN" : "UNREACHABLE"
  }))

/** Opens a channel to `address`, checks `service` ("" for the whole server) and closes the channel. */
export const checkHealth = (
  address: string,
  service = "",
  deadline: Duration.Input = Duration.seconds(1)
): Effect.Effect<HealthCheckResult> =>
  Effect.scoped(
    Effect.flatMap(make({ address, service: "health" }), (peer) => checkWith(peer.client, service, deadline))
  )
