import { assert, describe, it } from "@effect/vitest"
import { DeadlineExceeded, type DomainError, NotFound, ServiceUnavailable } from "@shop/domain"
import { Effect, Ref } from "effect"
import { CircuitBreaker } from "effect/persistence"
import { TestClock } from "effect/testing"
import { fromUnary, type GrpcClient } from "../../src/grpc/GrpcClient.ts"
import { withPeerBreaker } from "../../src/resilience/PeerBreaker.ts"

/** A peer that answers with whatever `answer` holds, counting the calls that reached it. */
const peer = (answer: Ref.Ref<Effect.Effect<string, DomainError>>, calls: Ref.Ref<number>): GrpcClient =>
  fromUnary(
    { service: "product", address: "127.0.0.1:1", client: undefined as never },
    <_Req, Res>() =>
      Effect.andThen(Ref.update(calls, (n) => n + 1), Effect.flatten(Ref.get(answer))) as unknown as Effect.Effect<
        Res,
        DomainError
      >
  )

const setup = Effect.gen(function*() {
  const calls = yield* Ref.make(0)
  const answer = yield* Ref.make<Effect.Effect<string, DomainError>>(Effect.succeed("ok"))
  const client = yield* withPeerBreaker(peer(answer, calls), { failureThreshold: 3, openDuration: "5 seconds" })
  const call = Effect.flip(client.unary({} as never, {}))
  return { calls, answer, client, call }
})

const down = Effect.fail(new ServiceUnavailable({ service: "product", detail: "connection refused" }))

describe("withPeerBreaker", () => {
  it.effect("opens after consecutive transport failures and then fails at once without calling the peer", () =>
    Effect.gen(function*() {
      const { answer, calls, call } = yield* setup
      yield* Ref.set(answer, down)
      yield* call
      yield* Ref.set(answer, Effect.fail(new DeadlineExceeded({ service: "product" })))
      yield* call
      yield* Ref.set(answer, down)
      yield* call
      assert.strictEqual(yield* Ref.get(calls), 3)
      const rejected = yield* call
      assert.strictEqual(rejected._tag, "ServiceUnavailable")
      assert.match((rejected as ServiceUnavailable).detail, /^circuit breaker: circuit open/i)
      assert.strictEqual(yield* Ref.get(calls), 3, "an open circuit does not call the peer")
    }).pipe(Effect.provide(CircuitBreaker.layerStoreMemory())))

  it.effect("counts business answers as a healthy peer", () =>
    Effect.gen(function*() {
      const { answer, calls, call } = yield* setup
      yield* Ref.set(answer, Effect.fail(new NotFound({ entity: "product", id: "prod_x" })))
      for (let i = 0; i < 10; i++) assert.strictEqual((yield* call)._tag, "NotFound")
      assert.strictEqual(yield* Ref.get(calls), 10)
      // Two failures, a business answer, two failures: never three in a row.
      for (const next of [down, down, Effect.fail(new NotFound({ entity: "product", id: "x" })), down, down]) {
        yield* Ref.set(answer, next)
        yield* call
      }
      assert.strictEqual(yield* Ref.get(calls), 15)
    }).pipe(Effect.provide(CircuitBreaker.layerStoreMemory())))

  it.effect("lets one probe through after the cool-down and closes again when it succeeds", () =>
    Effect.gen(function*() {
      const { answer, calls, call, client } = yield* setup
      yield* Ref.set(answer, down)
      for (let i = 0; i < 3; i++) yield* call
      yield* call
      assert.strictEqual(yield* Ref.get(calls), 3)
      yield* TestClock.adjust("5001 millis")
      yield* Ref.set(answer, Effect.succeed("ok"))
      assert.strictEqual(yield* client.unary({} as never, {}), "ok")
      assert.strictEqual(yield* client.unary({} as never, {}), "ok")
      assert.strictEqual(yield* Ref.get(calls), 5)
    }).pipe(Effect.provide(CircuitBreaker.layerStoreMemory())))
})
