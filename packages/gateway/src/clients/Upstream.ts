import { type DomainError, InternalError, ServiceUnavailable } from "@shop/domain"
import { Effect } from "effect"
import { NotImplemented } from "../edge/NotImplemented.ts"

// GrpcStatus maps UNIMPLEMENTED to InternalError; grpc-js words every UNIMPLEMENTED unary answer this way.
const unimplemented = "does not implement the method"

/**
 * The outcome of one backend call as the gateway exposes it: UNIMPLEMENTED becomes a `NotImplemented` defect
 * (answered 501), errors the endpoint does not declare become a generic `InternalError` (the original is logged),
 * and an `InternalError` never carries a backend's words to the client.
 */
export const expose = <const Tag extends DomainError["_tag"]>(
  service: string,
  method: string,
  tags: ReadonlyArray<Tag>
) =>
<A, R>(
  effect: Effect.Effect<A, DomainError, R>
): Effect.Effect<A, Extract<DomainError, { readonly _tag: Tag }> | InternalError, R> =>
  Effect.catch(effect, (error): Effect.Effect<never, Extract<DomainError, { readonly _tag: Tag }> | InternalError> => {
    if (error._tag === "InternalError" && error.detail.includes(unimplemented)) {
      return Effect.die(new NotImplemented({ service, method }))
    }
    if (error._tag === "ServiceUnavailable") {
      // grpc-js details name internal addresses; the client only needs to know which service is down.
      return Effect.fail(
        new ServiceUnavailable({ service: error.service, detail: "the service did not answer" }) as Extract<
          DomainError,
          { readonly _tag: Tag }
        >
      )
    }
    if (error._tag !== "InternalError" && (tags as ReadonlyArray<string>).includes(error._tag)) {
      return Effect.fail(error as Extract<DomainError, { readonly _tag: Tag }>)
    }
    return Effect.logError(`${service}.${method} failed`, error).pipe(
      Effect.andThen(Effect.fail(new InternalError({ detail: "internal error" })))
    )
  })
