import { assert, describe, it } from "@effect/vitest"
import { freePort } from "@shop/service-defaults/testing/FreePort"
import { ConfigProvider, Effect, Layer, Result } from "effect"
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { type AddressInfo, Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SMTPServer } from "smtp-server"
import { vi } from "vitest"
import { Mailer } from "../src/Mailer.ts"
import { NotificationConfig } from "../src/NotificationConfig.ts"
import { SmtpSink } from "../src/SmtpSink.ts"
import { type OpenedSocket, openSmtpSocket } from "../src/SmtpSocket.ts"

const mail = (n: number) => ({ id: `ntf_mailer_${n}`, to: `buyer${n}@example.com`, subject: `Order ${n}`, text: "ok" })

/** The service's default settings. */
const defaults = NotificationConfig.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({}))))

/** The mailer on a sink of its own (a free port), with the service's default settings. */
const onSink = Layer.provideMerge(
  Layer.effect(
    Mailer,
    Effect.flatMap(SmtpSink, ({ port }) => Mailer.make({ host: "127.0.0.1", port, secure: false, ignoreTLS: true }))
  ),
  SmtpSink.layer({ port: 0 })
).pipe(Layer.provideMerge(defaults))

/** `SMTP_MAX_CONNECTIONS` as the service reads it from `env`. */
const connectionsFrom = (env: Record<string, string>) =>
  Effect.result(
    Effect.map(NotificationConfig, (config) => config.smtpConnections).pipe(
      Effect.provide(
        NotificationConfig.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env))))
      )
    )
  )

describe("Mailer", () => {
  it.effect("keeps 8 SMTP connections unless SMTP_MAX_CONNECTIONS says otherwise (1 to 64); refuses anything else", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* connectionsFrom({}), Result.succeed(8))
      assert.deepStrictEqual(yield* connectionsFrom({ SMTP_MAX_CONNECTIONS: "1" }), Result.succeed(1))
      assert.deepStrictEqual(yield* connectionsFrom({ SMTP_MAX_CONNECTIONS: "64" }), Result.succeed(64))
      for (const refused of ["0", "65", "2.5", "-3", "many"]) {
        const result = yield* connectionsFrom({ SMTP_MAX_CONNECTIONS: refused })
        assert.isTrue(Result.isFailure(result), refused)
      }
    }))

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
      // one connection for the ten sent one after another; at most the pool's size (SMTP_MAX_CONNECTIONS, 8 by
      // default) for the ones sent together
      assert.isAtMost(yield* sink.connections, 8)
    }).pipe(Effect.provide(onSink)))

  // nodemailer writes a mail's body and its closing dot as two writes: with Nagle on, the second waits for the
  // server's delayed acknowledgement, 40 ms per mail (see SmtpSocket.ts).
  it.live("opens its connections to the server with Nagle's algorithm off", () =>
    Effect.gen(function*() {
      const setNoDelay = vi.spyOn(Socket.prototype, "setNoDelay")
      yield* Effect.addFinalizer(() => Effect.sync(() => setNoDelay.mockRestore()))
      const mailer = yield* Mailer
      const sink = yield* SmtpSink
      yield* Effect.forEach([1, 2, 3], (n) => mailer.send(mail(n)), { concurrency: 3 })
      const toSink = setNoDelay.mock.contexts.filter((socket, i) =>
        socket instanceof Socket && socket.remotePort === sink.port && setNoDelay.mock.calls[i]![0] !== false
      )
      assert.isAtLeast(toSink.length, 1)
      assert.strictEqual(toSink.length, yield* sink.connections)
    }).pipe(Effect.provide(onSink)))

  it.live("a mailer on an SMTP_URL, pooled or not (pool=false), connects the same way and delivers", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink
      const setNoDelay = vi.spyOn(Socket.prototype, "setNoDelay")
      yield* Effect.addFinalizer(() => Effect.sync(() => setNoDelay.mockRestore()))
      const toSink = () =>
        setNoDelay.mock.contexts.filter((socket) => socket instanceof Socket && socket.remotePort === sink.port).length
      const urls = [[40, `smtp://127.0.0.1:${sink.port}`], [41, `smtp://127.0.0.1:${sink.port}?pool=false`]] as const
      for (const [n, url] of urls) {
        const before = toSink()
        yield* Effect.scoped(Effect.flatMap(Mailer.make(url), (mailer) => mailer.send(mail(n))))
        assert.isAbove(toSink(), before, url)
      }
      const received = yield* sink.list
      assert.includeMembers(received.map((m) => m.to[0]), ["buyer40@example.com", "buyer41@example.com"])
    }).pipe(Effect.provide(onSink)))

  // Production mail goes over TLS: implicit (smtps, 465) or upgraded by STARTTLS (587). nodemailer upgrades the
  // connections this service opens, as it did its own.
  it.live("delivers over TLS, implicit and by STARTTLS, on the connections it opens with Nagle off", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "smtp-tls-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      execFileSync("openssl", [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem")
      ], { stdio: "ignore" })
      const key = readFileSync(join(dir, "key.pem"))
      const cert = readFileSync(join(dir, "cert.pem"))
      const received: Array<{ readonly subject: string; readonly secure: boolean }> = []
      const tlsServer = (secure: boolean) =>
        Effect.acquireRelease(
          Effect.callback<SMTPServer>((resume) => {
            const server = new SMTPServer({
              secure,
              key,
              cert,
              authOptional: true,
              logger: false,
              onData(stream, session, callback) {
                let raw = ""
                stream.on("data", (chunk: Buffer) => raw += chunk.toString())
                stream.on("end", () => {
                  received.push({ subject: /^Subject: (.*)$/m.exec(raw)?.[1] ?? "", secure: session.secure })
                  callback()
                })
              }
            })
            server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
          }),
          (server) => Effect.callback<void>((resume) => server.close(() => resume(Effect.void)))
        )
      const implicit = yield* tlsServer(true)
      const starttls = yield* tlsServer(false)
      const portOf = (server: SMTPServer) => (server.server.address() as AddressInfo).port
      const setNoDelay = vi.spyOn(Socket.prototype, "setNoDelay")
      yield* Effect.addFinalizer(() => Effect.sync(() => setNoDelay.mockRestore()))
      const urls = [
        [50, `smtps://127.0.0.1:${portOf(implicit)}?tls.rejectUnauthorized=false`],
        [51, `smtp://127.0.0.1:${portOf(starttls)}?requireTLS=true&tls.rejectUnauthorized=false`]
      ] as const
      for (const [n, url] of urls) {
        yield* Effect.scoped(Effect.flatMap(Mailer.make(url), (mailer) => mailer.send(mail(n))))
      }
      assert.deepStrictEqual(received, [{ subject: "Order 50", secure: true }, { subject: "Order 51", secure: true }])
      const opened = setNoDelay.mock.contexts.flatMap((socket) => socket instanceof Socket ? [socket.remotePort] : [])
      assert.includeMembers(opened, [portOf(implicit), portOf(starttls)])
    }).pipe(Effect.provide(defaults)))

  it.live("a server that refuses the connection is an error for the caller, not a crash", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const opened = yield* Effect.callback<OpenedSocket | false, Error>((resume) => {
        openSmtpSocket({ pool: true, host: "127.0.0.1", port }, (error, socket) =>
          resume(error === null ? Effect.succeed(socket) : Effect.fail(error)))
      }).pipe(Effect.flip)
      assert.match(opened.message, /ECONNREFUSED/)
    }))
})
