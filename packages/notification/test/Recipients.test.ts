import { assert, describe, it } from "@effect/vitest"
import { Email, PhoneNumber } from "@shop/domain/Contact"
import { freePort } from "@shop/service-defaults/testing/FreePort"
import { UnsafeConfiguration } from "@shop/service-defaults/UnsafeConfiguration"
import { ConfigProvider, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { Deliveries } from "../src/Deliveries.ts"
import { Mailer } from "../src/Mailer.ts"
import { NotificationConfig } from "../src/NotificationConfig.ts"
import { NotificationInbox } from "../src/NotificationInbox.ts"
import { SmsSimulator } from "../src/sms-simulator/SmsSimulator.ts"
import { SmtpSink } from "../src/SmtpSink.ts"
import { confirmedRecord, delivered, NotificationTest } from "./fixtures.ts"

const contact = { email: Email.make("jane@example.com"), phone: PhoneNumber.make("+14155550123") }

const drain = Effect.gen(function*() {
  const deliveries = yield* Deliveries
  const sql = yield* SqlClient.SqlClient
  for (let i = 0; i < 400; i++) {
    yield* deliveries.runOnce
    const pending = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM notifications WHERE status = 'pending'`
    if (pending[0]?.n === 0) return
    yield* Effect.sleep("25 millis")
  }
})

const smsRecipients = (baseUrl: string) =>
  Effect.promise(() =>
    fetch(`${baseUrl}/v1/messages`).then((r) => r.json() as Promise<{ data: Array<{ to: string }> }>)
  ).pipe(Effect.map((ledger) => ledger.data.map((message) => message.to)))

describe("recipients", () => {
  it.live("mails the contact the order event carries", () =>
    Effect.gen(function*() {
      const inbox = yield* NotificationInbox
      const sink = yield* SmtpSink
      const { record } = yield* confirmedRecord("user_jane", undefined, contact)
      assert.strictEqual(yield* inbox.handle(delivered(record)), "recorded")
      yield* drain
      assert.deepStrictEqual((yield* sink.list).map((mail) => mail.to), [["jane@example.com"]])
    }).pipe(Effect.provide(NotificationTest())), 120_000)

  it.live(
    "an email that keeps failing goes by SMS to the contact's phone, never to a derived number",
    () =>
      Effect.gen(function*() {
        const inbox = yield* NotificationInbox
        const sql = yield* SqlClient.SqlClient
        const { baseUrl } = yield* SmsSimulator
        const withPhone = yield* confirmedRecord("user_jane", undefined, contact)
        const withoutPhone = yield* confirmedRecord("user_joe", undefined, { email: Email.make("joe@example.com") })
        yield* inbox.handle(delivered(withPhone.record))
        yield* inbox.handle(delivered(withoutPhone.record))
        yield* drain
        assert.deepStrictEqual(yield* smsRecipients(baseUrl), ["+14155550123"])
        // no number to fall back to: the email goes to the dead letters
        const joe = yield* sql<{ channel: string; status: string }>`SELECT channel, status FROM notifications
        WHERE order_id = ${withoutPhone.event.payload.orderId}`
        assert.deepStrictEqual(joe, [{ channel: "email", status: "dead" }])
        const dead = yield* sql<{ type: string }>`SELECT type FROM dead_letters`
        assert.deepStrictEqual(dead.map((d) => d.type), ["notification.email"])
      }).pipe(Effect.provide(NotificationTest({ smtpUrl: Option.some("smtp://127.0.0.1:1") }))),
    120_000
  )

  it.live(
    "in production, an event without a contact is recorded unsendable: no invented recipient, nothing sent",
    () =>
      Effect.gen(function*() {
        const inbox = yield* NotificationInbox
        const sink = yield* SmtpSink
        const sql = yield* SqlClient.SqlClient
        const { baseUrl } = yield* SmsSimulator
        const { event, record } = yield* confirmedRecord("user_unknown")
        assert.strictEqual(yield* inbox.handle(delivered(record)), "unsendable")
        assert.strictEqual(yield* inbox.handle(delivered(record)), "duplicate")
        yield* drain
        const rows = yield* sql<{ status: string; recipient: string | null; last_error: string }>`
        SELECT status, recipient, last_error FROM notifications WHERE order_id = ${event.payload.orderId}`
        assert.strictEqual(rows.length, 1)
        assert.strictEqual(rows[0]!.status, "unsendable")
        assert.isNull(rows[0]!.recipient)
        assert.match(rows[0]!.last_error, /^no_contact/)
        assert.lengthOf(yield* sink.list, 0)
        assert.lengthOf(yield* smsRecipients(baseUrl), 0)
      }).pipe(Effect.provide(NotificationTest({ missingContact: "unsendable" }))),
    120_000
  )

  it.live(
    "in development, an event without a contact goes to the address derived from the user id",
    () =>
      Effect.gen(function*() {
        const inbox = yield* NotificationInbox
        const sink = yield* SmtpSink
        const { record } = yield* confirmedRecord("user_123")
        assert.strictEqual(yield* inbox.handle(delivered(record)), "recorded")
        yield* drain
        assert.deepStrictEqual((yield* sink.list).map((mail) => mail.to), [["user_123@customers.shop-mesh.local"]])
      }).pipe(Effect.provide(NotificationTest({ missingContact: "derive" }))),
    120_000
  )
})

/** A loopback port nobody listens on right now. */
describe("the mail transport", () => {
  const mailerWith = (env: Record<string, string>) =>
    Effect.gen(function*() {
      const port = yield* freePort
      yield* Effect.provide(
        Effect.asVoid(Mailer),
        Mailer.layer.pipe(
          Layer.provide(NotificationConfig.layer),
          Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ SMTP_SINK_PORT: String(port), ...env })))
        )
      )
    })

  it.live("refuses to start in production without SMTP_URL, and starts with it", () =>
    Effect.gen(function*() {
      const refused = yield* Effect.flip(mailerWith({ SHOP_ENV: "production" }))
      assert.isTrue(refused instanceof UnsafeConfiguration, String(refused))
      assert.include(refused.message, "SMTP_URL")
      yield* mailerWith({ SHOP_ENV: "production", SMTP_URL: "smtp://mail.example.com:587" })
      yield* mailerWith({})
    }))

  it.live("the development sink keeps only the last mails it received", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink
      const mailer = yield* Mailer.make({ host: "127.0.0.1", port: sink.port, secure: false, ignoreTLS: true })
      for (let i = 1; i <= 5; i++) {
        yield* mailer.send({ id: `ntf_${i}`, to: "a@example.com", subject: `mail ${i}`, text: "hello" })
      }
      const kept = yield* sink.list
      assert.deepStrictEqual(kept.map((mail) => [mail.id, mail.subject]), [
        ["mail_3", "mail 3"],
        ["mail_4", "mail 4"],
        ["mail_5", "mail 5"]
      ])
    }).pipe(
      Effect.scoped,
      Effect.provide(SmtpSink.layer({ port: 0, capacity: 3 })),
      Effect.provide(NotificationConfig.layer),
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({})))
    ), 60_000)
})
