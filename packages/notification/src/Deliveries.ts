import { continuing } from "@shop/service-defaults/events/EventTrace"
import { idlePolling } from "@shop/service-defaults/events/IdlePolling"
import { makeKeyedBatches } from "@shop/service-defaults/KeyedBatches"
import * as Backoff from "@shop/service-defaults/resilience/Backoff"
import { Cause, Context, Duration, Effect, Layer } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import { randomUUID } from "node:crypto"
import { Mailer } from "./Mailer.ts"
import { NotificationConfig } from "./NotificationConfig.ts"
import { countDeadLetter, countSent } from "./NotificationMetrics.ts"
import { SmsClient } from "./SmsClient.ts"
import { isTransactional } from "./Templates.ts"

interface Due {
  readonly id: string
  readonly eventId: string
  readonly orderId: string
  readonly channel: "email" | "sms"
  readonly recipient: string
  readonly template: string
  readonly subject: string
  readonly body: string
  readonly attempts: number
  readonly smsFallback: string | null
  readonly traceparent: string | null
}

/** Leased while a send is in flight: a worker that dies mid-send leaves the row to be retried after this. */
const leaseSeconds = 60

/** Rows a delivery pass claims per SMTP connection. */
const claimedPerConnection = 4

/** The longest wait between two attempts of one message. */
const retryCap = Duration.minutes(10)

/**
 * Sends pending notifications: claims due rows (`SKIP LOCKED`, then leased), holds back non-transactional messages
 * over the per-recipient hourly cap (transactional ones, order confirmed / failed, are never held back), retries with
 * exponential backoff, falls back from email to SMS after `maxAttempts` failures (when there is a number to fall
 * back to), and parks what keeps failing in the dead letters (`npm run redrive` puts it back). A crash between the
 * provider's acknowledgement and the `sent` update resends that message (and those whose marks waited with its)
 * after the lease: delivery to the provider is at least once, with the notification id as the mail's Message-ID so
 * a copy is recognisable. Each send runs in a span continuing the trace of the event the notification came from.
 */
export class Deliveries extends Context.Service<Deliveries, {
  /** One pass over the due rows; the number handled. */
  readonly runOnce: Effect.Effect<number, unknown>
  readonly run: Effect.Effect<never>
}>()("@shop/notification/Deliveries") {
  static readonly layer = Layer.effect(
    Deliveries,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const config = yield* NotificationConfig
      const backoff: Backoff.Backoff = { base: config.retryBase, cap: retryCap, jitter: "equal" }
      const mailer = yield* Mailer
      const sms = yield* SmsClient

      // A pass claims enough for each connection to send a few mails one after another, so that the pass's own
      // statements (this claim, the last marks) are few next to its sends.
      const claimSize = claimedPerConnection * config.smtpConnections
      const claim = sql<Due>`
        UPDATE notifications SET next_attempt_at = now() + make_interval(secs => ${leaseSeconds})
        WHERE id IN (
          SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= now()
          ORDER BY next_attempt_at LIMIT ${claimSize} FOR UPDATE SKIP LOCKED)
        RETURNING id, event_id AS "eventId", order_id AS "orderId", channel, recipient, template, subject, body, attempts,
          sms_fallback AS "smsFallback", traceparent`

      // A sent mail's mark waits for the mark being written, if any, and then goes with the others that came
      // meanwhile: one statement for the marks of the sends that end together, instead of one each. A mail whose
      // mark was not written (a crash, the database out of reach) is sent again after its lease, as before.
      const markSent = yield* makeKeyedBatches<string, void, SqlError.SqlError>({
        maxBatch: config.smtpConnections,
        inFlight: 1,
        conflicts: () => false,
        run: (ids) =>
          Effect.as(
            sql`UPDATE notifications SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL
              WHERE ${sql.in("id", ids)}`,
            ids.map(() => undefined)
          )
      })

      const overCap = (recipient: string) =>
        Effect.map(
          sql<{ n: number }>`SELECT count(*)::int AS n FROM notifications
            WHERE recipient = ${recipient} AND status = 'sent' AND sent_at > now() - interval '1 hour'`,
          (rows) => (rows[0]?.n ?? 0) >= config.sendCapPerHour
        )

      const send = (due: Due) =>
        (due.channel === "email"
          ? mailer.send({ id: due.id, to: due.recipient, subject: due.subject, text: due.body })
          : sms.send(due.recipient, `${due.subject}. ${due.body.split("\n")[0] ?? ""}`)).pipe(
            Effect.withSpan(
              `notification.deliver ${due.channel}`,
              continuing(due.traceparent, {
                kind: "internal",
                attributes: {
                  "shop.notification.id": due.id,
                  "shop.notification.channel": due.channel,
                  "shop.notification.template": due.template,
                  "shop.order.id": due.orderId,
                  "shop.notification.attempt": due.attempts + 1
                }
              }),
              // One per mail: the span's name and attributes say where it is; no stack trace per call.
              { captureStackTrace: false }
            )
          )

      const deadLetter = (due: Due, attempts: number, error: string) =>
        Effect.gen(function*() {
          yield* sql`UPDATE notifications SET status = 'dead', attempts = ${attempts}, last_error = ${error}
            WHERE id = ${due.id}`
          const payload = JSON.stringify({ notificationId: due.id, orderId: due.orderId, recipient: due.recipient })
          yield* sql`INSERT INTO dead_letters (event_id, type, payload, error, attempts, notification_id)
            VALUES (${due.eventId}, ${`notification.${due.channel}`}, ${payload}::jsonb, ${error}, ${attempts}, ${due.id})`
          yield* countSent(due.channel, "dead")
          yield* countDeadLetter("delivery_failed")
        })

      // Email gives up to SMS when the notification has a number to fall back to; an SMS, or an email without one,
      // goes to the dead letters.
      const giveUp = (due: Due, error: string) =>
        sql.withTransaction(Effect.gen(function*() {
          const attempts = due.attempts + 1
          if (due.channel === "email" && due.smsFallback !== null) {
            yield* sql`UPDATE notifications SET status = 'failed', attempts = ${attempts}, last_error = ${error}
              WHERE id = ${due.id}`
            yield* sql`INSERT INTO notifications (id, event_id, order_id, channel, recipient, template, status, subject,
                body, traceparent)
              VALUES (${`ntf_${randomUUID()}`}, ${due.eventId}, ${due.orderId}, 'sms', ${due.smsFallback},
                ${due.template}, 'pending', ${due.subject}, ${due.body}, ${due.traceparent})
              ON CONFLICT (event_id, channel) DO NOTHING`
            return yield* countSent("email", "failed")
          }
          yield* deadLetter(due, attempts, error)
        }))

      const deliver = (due: Due) =>
        Effect.gen(function*() {
          if (!isTransactional(due.template) && (yield* overCap(due.recipient))) {
            yield* sql`UPDATE notifications SET next_attempt_at = now() + interval '5 minutes' WHERE id = ${due.id}`
            return yield* countSent(due.channel, "capped")
          }
          const result = yield* Effect.result(send(due).pipe(Effect.timeout(config.sendTimeout)))
          if (result._tag === "Success") {
            yield* markSent("sent", due.id)
            return yield* countSent(due.channel, "sent")
          }
          const error = result.failure.message.slice(0, 500)
          if (due.attempts + 1 >= config.maxAttempts) return yield* giveUp(due, error)
          const delay = Duration.toSeconds(yield* Backoff.delay(backoff, due.attempts + 1))
          yield* sql`UPDATE notifications SET attempts = attempts + 1, last_error = ${error},
            next_attempt_at = now() + make_interval(secs => ${delay}) WHERE id = ${due.id}`
          yield* countSent(due.channel, "retry")
          yield* Effect.logWarning("notification send failed; will retry", { id: due.id, channel: due.channel, error })
        })

      // As many sends at once as the mailer keeps connections (`SMTP_MAX_CONNECTIONS`): a send waits for the
      // server's answers, not for this process, so the mails per second grow with the sends in flight. A
      // recipient's capped messages go one after another, so that the cap check sees every send; transactional ones
      // (never capped) each go on their own, so that one buyer's many orders do not queue behind each other.
      const runOnce = Effect.flatMap(claim, (rows) => {
        const groups: Array<Array<Due>> = []
        const capped = new Map<string, Array<Due>>()
        for (const row of rows) {
          if (isTransactional(row.template)) {
            groups.push([row])
            continue
          }
          const group = capped.get(row.recipient)
          if (group === undefined) {
            const first = [row]
            capped.set(row.recipient, first)
            groups.push(first)
          } else {
            group.push(row)
          }
        }
        return Effect.as(
          Effect.forEach(groups, (group) => Effect.forEach(group, deliver, { discard: true }), {
            concurrency: config.smtpConnections,
            discard: true
          }),
          rows.length
        )
      })

      const polling = idlePolling(config.pollInterval, config.maxPollInterval)
      const run = Effect.forever(
        runOnce.pipe(
          Effect.catchCause((cause) =>
            Cause.hasInterrupts(cause)
              ? Effect.interrupt
              : Effect.as(Effect.logWarning("delivery pass failed", cause), 0)
          ),
          Effect.flatMap((n) =>
            n === 0 ? Effect.suspend(() => Effect.sleep(polling.idle())) : Effect.sync(polling.busy)
          )
        )
      )
      return Deliveries.of({ runOnce, run })
    })
  )
}
