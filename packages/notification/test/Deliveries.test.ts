import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { SqlClient } from "effect/sql"
import { SMTPServer } from "smtp-server"
import { redrive } from "../src/DeadLetters.ts"
import { Deliveries } from "../src/Deliveries.ts"
import { NotificationInbox } from "../src/NotificationInbox.ts"
import { SmsSimulator } from "../src/sms-simulator/SmsSimulator.ts"
import { SmtpSink } from "../src/SmtpSink.ts"
import { confirmedRecord, countWritesOfNotifications, delivered, NotificationTest } from "./fixtures.ts"

/** Passes until nothing is due (retries are scheduled 20 ms apart and doubling in these tests). */
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

/** `count` confirmations of one customer's orders, each recorded by the inbox as its event would be. */
const confirmationsOf = (userId: string, count: number) =>
  Effect.gen(function*() {
    const inbox = yield* NotificationInbox
    for (let i = 0; i < count; i++) {
      const { record } = yield* confirmedRecord(userId)
      yield* inbox.handle(delivered(record))
    }
  })

const smsLedger = (baseUrl: string) =>
  Effect.promise(() =>
    fetch(`${baseUrl}/v1/messages`).then((r) => r.json() as Promise<{ data: Array<{ to: string }> }>)
  )
const setSmsFaults = (baseUrl: string, faults: { failNext: number; failRate: number }) =>
  Effect.promise(() =>
    fetch(`${baseUrl}/admin/faults`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(faults)
    })
  )

/**
 * An SMTP server that holds each mail's answer until `hold` mails wait for theirs at once (then answers them all), or
 * until a mail has waited `patience`: how many mails the service has in flight shows as how many wait together.
 */
const holdingSmtpServer = (hold: number, patience = 2_000) =>
  Effect.acquireRelease(
    Effect.callback<{ server: SMTPServer; url: string; received: Array<string>; mostAtOnce: () => number }>(
      (resume) => {
        const received: Array<string> = []
        const waiting: Array<() => void> = []
        let mostAtOnce = 0
        const server = new SMTPServer({
          authOptional: true,
          disabledCommands: ["STARTTLS", "AUTH"],
          logger: false,
          onData(stream, session, callback) {
            stream.resume()
            stream.on("end", () => {
              const answer = () => {
                const i = waiting.indexOf(answer)
                if (i < 0) return
                waiting.splice(i, 1)
                received.push(session.envelope.rcptTo[0]?.address ?? "")
                callback()
              }
              waiting.push(answer)
              mostAtOnce = Math.max(mostAtOnce, waiting.length)
              if (waiting.length >= hold) [...waiting].forEach((waiter) => waiter())
              else setTimeout(answer, patience)
            })
          }
        })
        server.listen(0, "127.0.0.1", () => {
          const address = server.server.address()
          const port = typeof address === "object" && address !== null ? address.port : 0
          resume(Effect.succeed({ server, url: `smtp://127.0.0.1:${port}`, received, mostAtOnce: () => mostAtOnce }))
        })
      }
    ),
    ({ server }) => Effect.callback<void>((resume) => server.close(() => resume(Effect.void)))
  )

describe("Deliveries", () => {
  it.live(
    "falls back to SMS when email keeps failing, dead-letters a failing SMS, and redrives it",
    () =>
      Effect.gen(function*() {
        const inbox = yield* NotificationInbox
        const sql = yield* SqlClient.SqlClient
        const { baseUrl } = yield* SmsSimulator
        const { event, record } = yield* confirmedRecord("user_fallback")
        assert.strictEqual(yield* inbox.handle(delivered(record)), "recorded")
        assert.strictEqual(yield* inbox.handle(delivered(record)), "duplicate")
        yield* setSmsFaults(baseUrl, { failNext: 3, failRate: 0 })
        yield* drain
        const rows = yield* sql<{ channel: string; status: string; attempts: number }>`
        SELECT channel, status, attempts FROM notifications WHERE order_id = ${event.payload.orderId} ORDER BY channel`
        assert.deepStrictEqual(rows.map((r) => [r.channel, r.status, r.attempts]), [["email", "failed", 3], [
          "sms",
          "dead",
          3
        ]])
        const dead = yield* sql<{ notification_id: string }>`SELECT notification_id FROM dead_letters`
        assert.strictEqual(dead.length, 1)
        assert.strictEqual((yield* smsLedger(baseUrl)).data.length, 0)

        const { redriven } = yield* redrive()
        assert.strictEqual(redriven.length, 1)
        yield* drain
        const ledger = (yield* smsLedger(baseUrl)).data
        assert.strictEqual(ledger.length, 1)
        assert.match(ledger[0]!.to, /^\+1555\d{7}$/)
        const sms = yield* sql<{ status: string }>`
        SELECT status FROM notifications WHERE order_id = ${event.payload.orderId} AND channel = 'sms'`
        assert.strictEqual(sms[0]?.status, "sent")
        assert.strictEqual((yield* redrive()).redriven.length, 0, "a redriven letter is not redriven twice")
      }).pipe(Effect.provide(NotificationTest({ smtpUrl: { _tag: "Some", value: "smtp://127.0.0.1:1" } as never }))),
    120_000
  )

  it.live(
    "never holds back transactional mail by the hourly cap: 50 confirmations to one customer all go",
    () =>
      Effect.gen(function*() {
        const sink = yield* SmtpSink
        yield* confirmationsOf("user_busy", 50)
        yield* drain
        const mails = yield* sink.list
        assert.strictEqual(mails.length, 50)
        assert.isTrue(mails.every((mail) => mail.to[0] === "user_busy@customers.shop-mesh.local"))
      }).pipe(Effect.provide(NotificationTest({ sendCapPerHour: 20 }))),
    120_000
  )

  it.live(
    "sends one customer's confirmations several at once, not one after another",
    () =>
      Effect.gen(function*() {
        const sink = yield* SmtpSink
        yield* confirmationsOf("user_flash_sale", 8)
        assert.strictEqual(yield* (yield* Deliveries).runOnce, 8)
        assert.strictEqual((yield* sink.list).length, 8)
        // One after another, the pool would have sent them all on its first connection.
        assert.isAbove(yield* sink.connections, 1)
      }).pipe(Effect.provide(NotificationTest())),
    120_000
  )

  it.live(
    "sends as many mails at once as it keeps SMTP connections (SMTP_MAX_CONNECTIONS)",
    () =>
      Effect.gen(function*() {
        const smtp = yield* holdingSmtpServer(6)
        yield* Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          yield* confirmationsOf("user_many_at_once", 12)
          yield* drain
          const sent = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM notifications WHERE status = 'sent'`
          assert.strictEqual(sent[0]?.n, 12)
        }).pipe(Effect.provide(NotificationTest({ smtpConnections: 6, smtpUrl: Option.some(smtp.url) })))
        assert.strictEqual(smtp.received.length, 12)
        // Six mails waited for their answers together: six sends were in flight, each on a connection of its own.
        assert.strictEqual(smtp.mostAtOnce(), 6)
      }),
    120_000
  )

  it.live(
    "marks the mails whose sends end while a mark is being written in one statement",
    () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* confirmationsOf("user_marks", 8)
        // The first statement that marks mails sent takes 500 ms: the sends beside it (eight at once) end meanwhile.
        const marks = yield* countWritesOfNotifications("UPDATE", "status = 'sent'")
        assert.strictEqual(yield* (yield* Deliveries).runOnce, 8)
        const sent = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM notifications WHERE status = 'sent'`
        assert.strictEqual(sent[0]?.n, 8)
        const marked = yield* marks
        assert.strictEqual(marked.reduce((sum, n) => sum + n, 0), 8)
        // The first mark alone, the seven sent beside it together: one statement per mail would be eight.
        assert.isTrue(marked.some((n) => n > 1), JSON.stringify(marked))
        assert.isBelow(marked.length, 8, JSON.stringify(marked))
      }).pipe(Effect.provide(NotificationTest())),
    120_000
  )

  it.live(
    "sends at most the hourly cap of non-transactional messages to one recipient; the rest wait",
    () =>
      Effect.gen(function*() {
        const sink = yield* SmtpSink
        const sql = yield* SqlClient.SqlClient
        // No non-transactional template exists yet: the rows are written as a future one would be.
        for (let i = 0; i < 5; i++) {
          yield* sql`INSERT INTO notifications (id, event_id, order_id, channel, recipient, template, status, subject, body)
          VALUES (${`ntf_news_${i}`}, ${`evt_news_${i}`}, 'ord_news', 'email', 'reader@example.com', 'newsletter',
            'pending', 'News', 'Hello')`
        }
        yield* (yield* Deliveries).runOnce
        yield* (yield* Deliveries).runOnce
        assert.strictEqual((yield* sink.list).length, 3)
        const rows = yield* sql<{ status: string; n: number }>`
        SELECT status, count(*)::int AS n FROM notifications GROUP BY status ORDER BY status`
        assert.deepStrictEqual(rows.map((r) => [r.status, r.n]), [["pending", 2], ["sent", 3]])
      }).pipe(Effect.provide(NotificationTest({ sendCapPerHour: 3 }))),
    120_000
  )

  it.live(
    "an event whose notification cannot be written leaves no inbox row, and its redelivery records it",
    () =>
      Effect.gen(function*() {
        const inbox = yield* NotificationInbox
        const sql = yield* SqlClient.SqlClient
        const { event, record } = yield* confirmedRecord("user_refused")
        // The notification's insert fails once, as a full disk or a lost connection would fail it.
        yield* sql`CREATE TABLE refuse_once (armed boolean)`
        yield* sql`INSERT INTO refuse_once VALUES (true)`
        yield* sql`CREATE FUNCTION refuse_notification() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM refuse_once WHERE armed) THEN
            RAISE EXCEPTION 'notification refused';
          END IF;
          RETURN NEW;
        END $$`
        yield* sql`CREATE TRIGGER refuse_notification BEFORE INSERT ON notifications
        FOR EACH ROW EXECUTE FUNCTION refuse_notification()`
        const refused = yield* Effect.result(inbox.handle(delivered(record)))
        assert.strictEqual(refused._tag, "Failure")
        const inboxed = yield* sql`SELECT 1 FROM inbox WHERE event_id = ${event.eventId}`
        assert.strictEqual(inboxed.length, 0, "the inbox row went with the failed notification")
        yield* sql`UPDATE refuse_once SET armed = false`
        assert.strictEqual(yield* inbox.handle(delivered(record)), "recorded")
        assert.strictEqual(yield* inbox.handle(delivered(record)), "duplicate")
        const rows = yield* sql`SELECT 1 FROM notifications WHERE order_id = ${event.payload.orderId}`
        assert.strictEqual(rows.length, 1)
      }).pipe(Effect.provide(NotificationTest())),
    120_000
  )

  it.live("dead-letters an undecodable order event instead of blocking the stream", () =>
    Effect.gen(function*() {
      const inbox = yield* NotificationInbox
      const sql = yield* SqlClient.SqlClient
      const { record } = yield* confirmedRecord("user_bad")
      const broken = delivered({
        ...record,
        value: "{\"eventId\":\"evt_x\",\"type\":\"order.confirmed\",\"version\":1}"
      })
      assert.strictEqual(yield* inbox.handle(broken), "dead_letter")
      assert.strictEqual(yield* inbox.handle(broken), "duplicate")
      const dead = yield* sql<{ type: string }>`SELECT type FROM dead_letters`
      assert.deepStrictEqual(dead.map((d) => d.type), ["order.confirmed"])
      assert.strictEqual((yield* redrive()).skipped.length, 1)
    }).pipe(Effect.provide(NotificationTest())), 120_000)
})
