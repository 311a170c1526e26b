import { decodeInput, ServiceUnavailable } from "@shop/domain"
import * as proto from "@shop/proto/notification/v1/notification_admin"
import { configuredTransport } from "@shop/service-defaults/events/EventBusLive"
import { consumerLag } from "@shop/service-defaults/events/EventMetrics"
import * as GrpcService from "@shop/service-defaults/grpc/GrpcService"
import { Effect, Metric, Schema } from "effect"
import { type DeadLetter, listDeadLetters, redriveOne } from "../DeadLetters.ts"
import { notificationGroup } from "../NotificationConsumer.ts"

const encodeDeadLetter = (letter: DeadLetter): proto.DeadLetter => ({
  id: letter.id,
  eventId: letter.eventId,
  type: letter.type,
  error: letter.error,
  attempts: letter.attempts,
  notificationId: letter.notificationId ?? "",
  createdAt: new Date(letter.createdAt).toISOString()
})

const decodeRedrive = decodeInput(Schema.Struct({
  id: Schema.String.check(Schema.isPattern(/^[1-9][0-9]{0,17}$/u, { expected: "a dead letter id" }))
}))

// The database is the service's own: an outage is the service being unavailable.
const databaseUnavailable = (error: { readonly message: string }) =>
  Effect.fail(new ServiceUnavailable({ service: "notification-database", detail: error.message }))

/**
 * shop.notification.v1.NotificationAdminService: dead letters (list, redrive: what `npm run redrive` does) and the
 * lag of the service's consumer groups, for the operator console. Only the gateway may call it (CallerPolicy), and
 * it admits only admins.
 */
export const NotificationAdminGrpcServer = GrpcService.layer(
  proto.NotificationAdminServiceService,
  Effect.gen(function*() {
    const transport = yield* configuredTransport
    return {
      listDeadLetters: () =>
        listDeadLetters.pipe(
          Effect.map((letters) => ({ deadLetters: letters.map(encodeDeadLetter) })),
          Effect.catchTag("SqlError", databaseUnavailable)
        ),
      redriveDeadLetter: (request) =>
        decodeRedrive(request).pipe(
          Effect.flatMap(({ id }) => redriveOne(id)),
          Effect.map((letter) => ({ deadLetter: encodeDeadLetter(letter) })),
          Effect.catchTag("SqlError", databaseUnavailable),
          Effect.tap((reply) =>
            Effect.logInfo("dead letter redriven by an operator").pipe(
              Effect.annotateLogs({ dead_letter_id: reply.deadLetter.id })
            )
          )
        ),
      // What the consumer measured at its last poll (event log) or batch (Kafka): the `event_consumer_lag` gauge.
      listConsumerLag: () =>
        Effect.map(
          Metric.value(Metric.withAttributes(consumerLag, { group: notificationGroup })),
          (gauge) => ({ consumers: [{ group: notificationGroup, transport, lag: Math.round(Number(gauge.value)) }] })
        )
    }
  })
)
