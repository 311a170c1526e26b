import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { Mailer } from "../src/Mailer.ts"
import { NotificationConfig } from "../src/NotificationConfig.ts"
import { SmtpSink } from "../src/SmtpSink.ts"

const mail = (n: number) => ({ id: `ntf_mailer_${n}`, to: `buyer${n}@example.com`, subject: `Order ${n}`, text: "ok" })

/** The mailer on a sink of its own (a free port), with the service's default settings. */
const onSink = Layer.provideMerge(
  Layer.effect(
    Mailer,
    Effect.flatMap(SmtpSink, ({ port }) => Mailer.make({ host: "127.0.0.1", port, secure: false, ignoreTLS: true }))
  ),
  SmtpSink.layer({ port: 0 })
).pipe(
  Layer.provide(NotificationConfig.layer),
  Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({})))
)

describe("Mailer", () => {
  it.live("sends every mail on a few pooled connections, not one connection per mail", () =>
    Effect.gen(function*() {
      const mailer = yield* Mailer
      const sink = yield* SmtpSink
      for (let n = 0; n < 10; n++) yield* mailer.send(mail(n))
      yield* Effect.forEach(Array.from({ length: 20 }, (_, i) => 10 + i), (n) => mailer.send(mail(n)), {
        concurrency: 8
      })
      const received = yield* sink.list
      assert.deepStrictEqual(
        received.map((m) => m.to[0]).toSorted(),
        Array.from({ length: 30 }, (_, n) => `buyer${n}@example.com`).toSorted()
      )
      assert.isTrue(received.every((m) => m.messageId.startsWith("<ntf_mailer_")))
      // one connection for the ten sent one after another; at most the pool's size for the ones sent together
      assert.isAtMost(yield* sink.connections, 4)
    }).pipe(Effect.provide(onSink)))
})
