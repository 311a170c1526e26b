import { assert, describe, it } from "@effect/vitest"
import { Topics } from "@shop/domain/EventEnvelope"
import { NotificationAdminServiceService as Rpc } from "@shop/proto/notification/v1/notification_admin"
import { EventBus } from "@shop/service-defaults/events/EventBus"
import { consumerLag } from "@shop/service-defaults/events/EventMetrics"
import * as GrpcClient from "@shop/service-defaults/grpc/GrpcClient"
import * as GrpcServer from "@shop/service-defaults/grpc/GrpcServer"
import { Context, Deferred, Duration, Effect, Fiber, Layer, Metric, Option } from "effect"
import { SqlClient } from "effect/sql"
import { Deliveries } from "../src/Deliveries.ts"
import { NotificationAdminGrpcServer } from "../src/grpc/NotificationAdminGrpcServer.ts"
import { notificationGroup } from "../src/NotificationConsumer.ts"
import { NotificationInbox } from "../src/NotificationInbox.ts"
import { SmsSimulator } from "../src/sms-simulator/SmsSimulator.ts"
import { confirmedRecord, EventLogTest, NotificationTest } from "./fixtures.ts"

/** The admin service on a loopback gRPC port over the test's database, and a client of it. */
const startAdmin = Effect.gen(function*() {
  const context = yield* Layer.build(
    GrpcServer.layer(NotificationAdminGrpcServer, { host: "127.0.0.1", port: 0, shutdownTimeout: Duration.seconds(1) })
  )
  const { port } = Context.get(context, GrpcServer.GrpcServer)
  return yield* GrpcClient.make({ address: `127.0.0.1:${port}`, service: "notification", deadline: "10 seconds" })
})

const drain = Effect.gen(function*() {
  const deliveries = yield* Deliveries
  const sql = yield* SqlClient.SqlClient
  for (let i = 0; i < 400; i++) {
    yield* deliveries.runOnce
    const [pending] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM notifications WHERE status = 'pending'`
    if (pending?.n === 0) return
    yield* Effect.sleep("25 millis")
  }
})

const sentSms = (baseUrl: string) =>
  Effect.promise(() => fetch(`${baseUrl}/v1/messages`).then((r) => r.json() as Promise<{ data: Array<unknown> }>))

describe("notification admin service (real storage, gRPC)", () => {
  it.live(
    "lists a dead delivery, redrives it by id until it is sent, and refuses a second redrive and unknown ids",
    () =>
      Effect.gen(function*() {
        const admin = yield* startAdmin
        const inbox = yield* NotificationInbox
        const { baseUrl } = yield* SmsSimulator
        // Email is unreachable (SMTP on port 1) and the SMS provider fails three times: the delivery dies.
        yield* Effect.promise(() =>
          fetch(`${baseUrl}/admin/faults`, {
            method: "PUT",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ failNext: 3, failRate: 0 })
          })
        )
        const { record } = yield* confirmedRecord("user_admin_redrive")
        yield* inbox.handle({ ...record, position: "1" })
        yield* drain
        const listed = (yield* admin.unary(Rpc.listDeadLetters, {})).deadLetters
        assert.lengthOf(listed, 1)
        const [letter] = listed
        assert.strictEqual(letter!.type, "notification.sms")
        assert.strictEqual(letter!.attempts, 3)
        assert.notStrictEqual(letter!.notificationId, "")
        assert.isAbove(Date.parse(letter!.createdAt), Date.now() - 120_000)
        assert.lengthOf((yield* sentSms(baseUrl)).data, 0)

        const redriven = yield* admin.unary(Rpc.redriveDeadLetter, { id: letter!.id })
        assert.strictEqual(redriven.deadLetter?.id, letter!.id)
        assert.lengthOf((yield* admin.unary(Rpc.listDeadLetters, {})).deadLetters, 0)
        yield* drain
        assert.lengthOf((yield* sentSms(baseUrl)).data, 1, "the redriven SMS is sent")

        const again = yield* Effect.flip(admin.unary(Rpc.redriveDeadLetter, { id: letter!.id }))
        assert.strictEqual(again._tag, "Conflict")
        const unknown = yield* Effect.flip(admin.unary(Rpc.redriveDeadLetter, { id: "999999" }))
        assert.strictEqual(unknown._tag, "NotFound")
        const malformed = yield* Effect.flip(admin.unary(Rpc.redriveDeadLetter, { id: "1; DROP TABLE x" }))
        assert.strictEqual(malformed._tag, "ValidationError")
      }).pipe(
        Effect.provide(NotificationTest({ smtpUrl: Option.some("smtp://127.0.0.1:1") }))
      ),
    120_000
  )

  it.live(
    "an undecodable event's dead letter is listed but cannot be redriven: there is no delivery",
    () =>
      Effect.gen(function*() {
        const admin = yield* startAdmin
        const inbox = yield* NotificationInbox
        const { record } = yield* confirmedRecord("user_admin_bad")
        const broken = { ...record, value: "{\"eventId\":\"evt_x\",\"type\":\"order.confirmed\",\"version\":1}" }
        assert.strictEqual(yield* inbox.handle({ ...broken, position: "1" }), "dead_letter")
        const [letter] = (yield* admin.unary(Rpc.listDeadLetters, {})).deadLetters
        assert.strictEqual(letter?.notificationId, "")
        const refused = yield* Effect.flip(admin.unary(Rpc.redriveDeadLetter, { id: letter!.id }))
        assert.strictEqual(refused._tag, "Conflict")
        assert.match(refused.message, /could not be decoded/)
      }).pipe(Effect.provide(NotificationTest())),
    120_000
  )

  it.live(
    "consumer lag is what the notification group's consumer measured: the events it has not processed",
    () =>
      Effect.gen(function*() {
        const admin = yield* startAdmin
        const bus = yield* EventBus
        const records = yield* Effect.forEach(
          [1, 2, 3, 4],
          (n) => Effect.map(confirmedRecord(`user_lag_${n}`), ({ record }) => record)
        )
        yield* bus.publish(records)
        // A consumer held on its first event: it has measured the log's head against its committed offset.
        const release = yield* Deferred.make<void>()
        const consumer = yield* Effect.forkChild(
          bus.subscribe({ group: notificationGroup, topics: [Topics.orders], handler: () => Deferred.await(release) })
        )
        const gauge = Metric.withAttributes(consumerLag, { group: notificationGroup })
        for (let i = 0; i < 200 && (yield* Metric.value(gauge)).value === 0; i++) {
          yield* Effect.sleep("25 millis")
        }
        const { consumers } = yield* admin.unary(Rpc.listConsumerLag, {})
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.interrupt(consumer)
        assert.deepStrictEqual(consumers, [{ group: notificationGroup, transport: "event_log", lag: 4 }])
      }).pipe(
        Effect.provide(Layer.mergeAll(NotificationTest(), EventLogTest)),
        Effect.provideService(Metric.MetricRegistry, new Map())
      ),
    120_000
  )
})
