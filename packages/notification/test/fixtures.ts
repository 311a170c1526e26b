import { PgClient } from "@effect/sql-pg"
import type { CustomerContact } from "@shop/domain/Contact"
import { Topics } from "@shop/domain/EventEnvelope"
import { encodeEventJson, OrderConfirmed } from "@shop/domain/Events"
import { OrderId, PaymentId, ProductId, TrackingNumber, UserId } from "@shop/domain/Ids"
import { Cents, DefaultCurrency } from "@shop/domain/Money"
import { Price } from "@shop/domain/Product"
import type { DeliveredEvent, EventRecord } from "@shop/service-defaults/events/EventBus"
import * as PgEventLog from "@shop/service-defaults/events/PgEventLog"
import { acquireTestDatabase } from "@shop/service-defaults/testing/TestDatabase"
import { Context, Duration, Effect, Layer, Option, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { Deliveries } from "../src/Deliveries.ts"
import { Mailer } from "../src/Mailer.ts"
import { migrations } from "../src/migrations/index.ts"
import { NotificationConfig } from "../src/NotificationConfig.ts"
import { NotificationInbox } from "../src/NotificationInbox.ts"
import { SmsSimulator } from "../src/sms-simulator/SmsSimulator.ts"
import { SmsClient } from "../src/SmsClient.ts"
import { SmtpSink } from "../src/SmtpSink.ts"

/** A PgClient on a fresh test database (PGlite in process, or TEST_DATABASE_URL). */
export const freshDatabase = (label: string) =>
  Layer.unwrap(
    Effect.map(acquireTestDatabase(label), ({ maxConnections, url }) =>
      PgClient.layer({ url: Redacted.make(url), maxConnections }))
  )

/** The event log on its own fresh database, polled often (LISTEN too on a real server). */
export const EventLogTest = Layer.unwrap(
  Effect.map(
    acquireTestDatabase("events"),
    ({ maxConnections, url }) =>
      PgEventLog.layerNoDeps({ pollInterval: "50 millis", leaseDuration: "2 seconds", listen: maxConnections > 1 })
        .pipe(Layer.provide(PgClient.layer({ url: Redacted.make(url), maxConnections })))
  )
)

const migrate = SqlClient.SqlClient.use((sql) =>
  Effect.gen(function*() {
    yield* sql`SELECT 1`
    for (const migration of Object.values(migrations)) yield* migration
  })
)

/**
 * The notification service's parts on a fresh database, sending to a real SMTP server (smtp-server, the sink)
 * and to the SMS simulator, both on free loopback ports and reachable from the test.
 */
export const NotificationTest = (overrides: Partial<NotificationConfig["Service"]> = {}) =>
  Layer.unwrap(Effect.gen(function*() {
    const smtp = yield* Layer.build(SmtpSink.layer({ port: 0 }))
    const smsSimulator = yield* Layer.build(SmsSimulator.layer({ port: 0 }))
    const sink = Context.get(smtp, SmtpSink)
    const sms = Context.get(smsSimulator, SmsSimulator)
    const config = Layer.succeed(NotificationConfig, {
      smtpUrl: Option.some(`smtp://127.0.0.1:${sink.port}`),
      smtpSinkPort: 0,
      smtpSinkCapacity: 1_000,
      smtpConnections: 8,
      missingContact: "derive",
      smsProviderUrl: sms.baseUrl,
      from: "Shop Mesh <orders@shop-mesh.local>",
      httpPort: 0,
      maxAttempts: 3,
      retryBase: Duration.millis(20),
      sendCapPerHour: 1_000,
      sendTimeout: Duration.seconds(20),
      pollInterval: Duration.millis(50),
      ...overrides
    })
    const senders = Layer.mergeAll(Mailer.layer, SmsClient.layer)
    return Layer.mergeAll(NotificationInbox.layer, Deliveries.layer).pipe(
      Layer.provideMerge(senders),
      Layer.provideMerge(config),
      Layer.provideMerge(Layer.effectDiscard(migrate)),
      Layer.provideMerge(freshDatabase("notification")),
      Layer.provideMerge(Layer.succeedContext(smtp)),
      Layer.provideMerge(Layer.succeedContext(smsSimulator))
    )
  }))

/** An `order.confirmed` event as the order service publishes it, as a transport record. */
export const confirmedRecord = (userId: string, trackingNumber?: string, contact?: CustomerContact) =>
  Effect.gen(function*() {
    const event = yield* OrderConfirmed.create({
      orderId: yield* OrderId.generate,
      userId: UserId.make(userId),
      paymentId: yield* PaymentId.generate,
      items: [{
        productId: yield* ProductId.generate,
        name: "Espresso cup",
        quantity: 2,
        unitPriceCents: Price.make(1250)
      }],
      totalCents: Cents.make(2500),
      currency: DefaultCurrency,
      ...(trackingNumber === undefined ? {} : { trackingNumber: TrackingNumber.make(trackingNumber) }),
      ...(contact === undefined ? {} : { contact })
    })
    const record: EventRecord = {
      eventId: event.eventId,
      topic: Topics.orders,
      key: event.key,
      type: event.type,
      version: event.version,
      value: yield* encodeEventJson(event)
    }
    return { event, record }
  })

/**
 * Counts the statements that write `notifications` rows matching `rows` (`INSERT`, or `UPDATE` to a row's new state):
 * each such statement leaves how many rows it wrote in `written_by_statement`, and the first one takes 500 ms, so
 * that the work beside it queues behind it. Returns what was counted, statement by statement.
 */
export const countWritesOfNotifications = (operation: "INSERT" | "UPDATE", rows: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE written_by_statement (written int NOT NULL)`
    yield* sql.unsafe(`CREATE FUNCTION count_written() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE written int;
      BEGIN
        SELECT count(*) INTO written FROM changed WHERE ${rows};
        IF written > 0 THEN
          IF NOT EXISTS (SELECT 1 FROM written_by_statement) THEN PERFORM pg_sleep(0.5); END IF;
          INSERT INTO written_by_statement VALUES (written);
        END IF;
        RETURN NULL;
      END $$`)
    yield* sql.unsafe(`CREATE TRIGGER count_written AFTER ${operation} ON notifications REFERENCING NEW TABLE AS changed
      FOR EACH STATEMENT EXECUTE FUNCTION count_written()`)
    return Effect.map(
      sql<{ written: number }>`SELECT written FROM written_by_statement`,
      (statements) => statements.map((statement) => statement.written)
    )
  })

/** A stored event as a consumer hands it to the inbox. */
export const delivered = (record: Omit<DeliveredEvent, "position">): DeliveredEvent => ({ ...record, position: "1" })
