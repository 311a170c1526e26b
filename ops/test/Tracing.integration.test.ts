/**
 * Distributed tracing across processes: the platform runs as separate processes exporting OTLP/HTTP JSON to a
 * collector stand-in, an order goes in through the gateway, and one trace id must carry spans of all five services:
 * the gateway, every gRPC service the order touched, and the notification service, whose consumption of the
 * order.confirmed event (relayed through the PostgreSQL event log) and SMTP send continue the order's trace.
 */
import { assert, describe, it } from "@effect/vitest"
import { SmtpSink } from "@shop/notification/SmtpSink"
import { acquireTestDatabase } from "@shop/service-defaults/testing/TestDatabase"
import { Context, Effect, Layer, Schedule } from "effect"
import * as jose from "jose"
import { type ChildProcess, spawn } from "node:child_process"
import { createServer as createHttpServer } from "node:http"
import { type AddressInfo, createServer } from "node:net"
import { gunzipSync } from "node:zlib"
import { repoPath, repoRoot } from "./OpsAssets.ts"

const secret = "tracing-test-secret-0123456789abcdef"

const freePort = Effect.callback<number>((resume) => {
  const server = createServer().listen(0, "127.0.0.1", () => {
    const port = (server.address() as AddressInfo).port
    server.close(() => resume(Effect.succeed(port)))
  })
})

interface SpanRecord {
  readonly service: string
  readonly traceId: string
  readonly name: string
  readonly kind: number
}

/** An OTLP/HTTP JSON receiver on /v1/traces that keeps every span it is sent. */
const collector = Effect.acquireRelease(
  Effect.callback<{ readonly url: string; readonly spans: Array<SpanRecord>; readonly close: () => void }>(
    (resume) => {
      const spans: Array<SpanRecord> = []
      const server = createHttpServer((request, response) => {
        const chunks: Array<Buffer> = []
        request.on("data", (chunk: Buffer) => chunks.push(chunk))
        request.on("end", () => {
          const raw = Buffer.concat(chunks)
          const body = request.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw
          if (request.url === "/v1/traces" && request.method === "POST") {
            const payload = JSON.parse(body.toString("utf8")) as { resourceSpans?: Array<any> }
            for (const resource of payload.resourceSpans ?? []) {
              const service = (resource.resource?.attributes ?? []).find((a: any) => a.key === "service.name")?.value
                ?.stringValue as string
              for (const scope of resource.scopeSpans ?? []) {
                for (const span of scope.spans ?? []) {
                  spans.push({ service, traceId: span.traceId, name: span.name, kind: span.kind })
                }
              }
            }
          }
          response.writeHead(200, { "content-type": "application/json" }).end("{}")
        })
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          spans,
          close: () => server.close()
        })))
    }
  ),
  (c) => Effect.sync(() => c.close())
)

/** One platform process; stopped with SIGTERM (then SIGKILL) when the scope closes. Its output explains failures. */
const launch = (name: string, script: string, env: Record<string, string>, output: Array<string>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = spawn(process.execPath, [repoPath(script)], {
        cwd: repoRoot,
        env: { ...process.env, LOG_LEVEL: "Warn", ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      const keep = (chunk: Buffer) => output.push(`[${name}] ${chunk.toString("utf8").slice(0, 2000)}`)
      child.stdout!.on("data", keep)
      child.stderr!.on("data", keep)
      return child
    }),
    (child: ChildProcess) =>
      Effect.callback<void>((resume) => {
        if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
        child.once("exit", () => (clearTimeout(timer), resume(Effect.void)))
        child.kill("SIGTERM")
      })
  )

const waitReady = (url: string) =>
  Effect.tryPromise(() => fetch(url).then((r) => r.ok ? undefined : Promise.reject(new Error(`${url}: ${r.status}`))))
    .pipe(Effect.retry({ schedule: Schedule.spaced("250 millis"), times: 480 }))

/** A POST that retries while the platform answers 502/503/504 (a peer still connecting on a slow machine). */
const post = (url: string, token: string, body: unknown) =>
  Effect.tryPromise(async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body)
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${text}`, { cause: response.status })
    return JSON.parse(text) as Record<string, unknown>
  }).pipe(
    Effect.retry({
      schedule: Schedule.spaced("500 millis"),
      times: 20,
      while: (error) => [502, 503, 504].includes((error.cause as Error).cause as number)
    })
  )

describe("distributed tracing", () => {
  it.live("one trace runs from the gateway through every service to the confirmation's SMTP send", () => {
    const output: Array<string> = []
    return Effect.gen(function*() {
      const otlp = yield* collector
      const smtp = yield* Layer.build(SmtpSink.layer({ port: 0 }))
      const mailbox = Context.get(smtp, SmtpSink)
      const [product, order, payment, notification, events] = yield* Effect.all([
        acquireTestDatabase("trace_product"),
        acquireTestDatabase("trace_order"),
        acquireTestDatabase("trace_payment"),
        acquireTestDatabase("trace_notification"),
        acquireTestDatabase("trace_events")
      ])
      const [simPort, productGrpc, productAdmin, paymentGrpc, paymentAdmin, orderGrpc, orderAdmin, http, admin] =
        yield* Effect.all(Array.from({ length: 9 }, () => freePort))
      const [notificationAdmin, notificationHttp] = yield* Effect.all([freePort, freePort])
      const common = {
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        EVENT_LOG_URL: events.url,
        EVENT_LOG_POOL_MAX: String(events.maxConnections),
        KAFKA_BROKERS: "",
        REDIS_URL: "",
        GRPC_HOST: "127.0.0.1",
        ADMIN_HOST: "127.0.0.1"
      }
      const db = (d: { url: string; maxConnections: number }) => ({
        DATABASE_URL: d.url,
        DATABASE_POOL_MAX: String(d.maxConnections)
      })
      yield* launch("simulator", "packages/payment/src/simulator/main.ts", {
        SIMULATOR_HOST: "127.0.0.1",
        SIMULATOR_PORT: String(simPort)
      }, output)
      yield* launch("product", "packages/product/src/main.ts", {
        ...common,
        ...db(product),
        GRPC_PORT: String(productGrpc),
        ADMIN_PORT: String(productAdmin)
      }, output)
      yield* launch("payment", "packages/payment/src/main.ts", {
        ...common,
        ...db(payment),
        GRPC_PORT: String(paymentGrpc),
        ADMIN_PORT: String(paymentAdmin),
        PAYMENT_PROVIDER_URL: `http://127.0.0.1:${simPort}`
      }, output)
      yield* launch("order", "packages/order/src/main.ts", {
        ...common,
        ...db(order),
        GRPC_PORT: String(orderGrpc),
        ADMIN_PORT: String(orderAdmin),
        PRODUCT_GRPC_ADDR: `127.0.0.1:${productGrpc}`,
        PAYMENT_GRPC_ADDR: `127.0.0.1:${paymentGrpc}`
      }, output)
      yield* launch("notification", "packages/notification/src/main.ts", {
        ...common,
        ...db(notification),
        ADMIN_PORT: String(notificationAdmin),
        NOTIFICATION_HTTP_PORT: String(notificationHttp),
        SMTP_URL: `smtp://127.0.0.1:${mailbox.port}`
      }, output)
      yield* launch("gateway", "packages/gateway/src/main.ts", {
        ...common,
        HTTP_HOST: "127.0.0.1",
        HTTP_PORT: String(http),
        ADMIN_PORT: String(admin),
        PRODUCT_GRPC_ADDR: `127.0.0.1:${productGrpc}`,
        ORDER_GRPC_ADDR: `127.0.0.1:${orderGrpc}`,
        PAYMENT_GRPC_ADDR: `127.0.0.1:${paymentGrpc}`,
        JWT_SECRET: secret
      }, output)
      for (const port of [productAdmin, paymentAdmin, orderAdmin, notificationAdmin, admin]) {
        yield* waitReady(`http://127.0.0.1:${port}/readyz`)
      }

      const key = new TextEncoder().encode(secret)
      const token = yield* Effect.promise(() =>
        new jose.SignJWT({ roles: ["admin"] }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setSubject("user_123")
          .setIssuer("shop-mesh").setAudience("shop-mesh-api").setIssuedAt().setExpirationTime("10m").sign(key)
      )
      const base = `http://127.0.0.1:${http}/api/v1`
      const created = yield* post(`${base}/products`, token, {
        name: "Wireless Mouse",
        description: "Ergonomic wireless mouse with 3200 DPI",
        price: 29.99,
        sku: `MOUSE-${Date.now()}`,
        inventory: 100,
        category: "Electronics"
      })
      const accepted = yield* post(`${base}/orders`, token, {
        items: [{ product_id: created.id, quantity: 2 }],
        shipping_address: { street: "123 Main St", city: "San Francisco", state: "CA", zip: "94102" },
        payment_method: "credit_card",
        idempotency_key: `trace-${Date.now()}`
      })
      assert.isString(accepted.order_id)

      // The confirmation reaches the SMTP server (the order's events carry no contact yet: the development fallback,
      // an address derived from the user id, is where the platform sends it).
      const orderId = accepted.order_id as string
      const mail = yield* Effect.flatMap(mailbox.list, (mails) => {
        const found = mails.find((m) => m.subject.includes(orderId))
        return found === undefined ? Effect.fail("no mail yet") : Effect.succeed(found)
      }).pipe(Effect.retry({ schedule: Schedule.spaced("500 millis"), times: 120 }))
      assert.deepStrictEqual(mail.to, ["user_123@customers.shop-mesh.local"])

      // Spans arrive within the exporters' 1 s interval. One trace must hold every service, and in it the event's
      // way: the relay's publish (order), its processing (notification) and the SMTP send (notification).
      const wanted = ["gateway", "order", "product", "payment", "notification"]
      const steps = [
        ["order", "publish shop.orders"],
        ["notification", "process shop.orders"],
        ["notification", "Mailer.send"]
      ] as const
      const whole = (traceId: string) => {
        const spans = otlp.spans.filter((span) => span.traceId === traceId)
        return wanted.every((service) => spans.some((span) => span.service === service)) &&
          steps.every(([service, name]) => spans.some((span) => span.service === service && span.name === name))
      }
      const found = yield* Effect.sync(() => [...new Set(otlp.spans.map((span) => span.traceId))].find(whole)).pipe(
        Effect.flatMap((hit) => hit === undefined ? Effect.fail("no whole trace yet") : Effect.succeed(hit)),
        Effect.retry({ schedule: Schedule.spaced("500 millis"), times: 120 }),
        Effect.orElseSucceed(() => undefined)
      )
      const byTrace = new Map<string, Set<string>>()
      for (const span of otlp.spans) {
        byTrace.set(span.traceId, (byTrace.get(span.traceId) ?? new Set()).add(`${span.service}:${span.name}`))
      }
      const widest = [...byTrace.values()].toSorted((a, b) => b.size - a.size)[0]
      assert.isDefined(
        found,
        `no trace holds ${wanted.join(", ")} and ${steps.map(([s, n]) => `${s}:${n}`).join(", ")}; the widest has ${
          JSON.stringify([...(widest ?? [])])
        }`
      )
      assert.match(found!, /^[0-9a-f]{32}$/)
      const kinds = new Map(otlp.spans.filter((span) => span.traceId === found).map((span) => [span.name, span.kind]))
      // OTLP span kinds: 4 producer, 5 consumer, 3 client
      assert.strictEqual(kinds.get("publish shop.orders"), 4)
      assert.strictEqual(kinds.get("process shop.orders"), 5)
      assert.strictEqual(kinds.get("Mailer.send"), 3)
    }).pipe(
      Effect.scoped,
      Effect.tapCause(() => Effect.sync(() => process.stderr.write(output.join("").slice(-20_000))))
    )
  }, 240_000)
})
