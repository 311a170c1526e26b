/**
 * What the platform-wide tests share: platform processes on free ports, an OTLP collector stand-in that keeps every
 * span it is sent, an admin token, and the check that one trace holds the whole way of an order.
 */
import { Effect, Schedule } from "effect"
import * as jose from "jose"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { createServer as createHttpServer } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"
import { repoPath, repoRoot } from "./OpsAssets.ts"

/**
 * A loopback port nobody listens on right now, below the kernel's ephemeral range: a port 0 hands out can be taken
 * by an outgoing connection's local port before the process meant to listen on it starts (the tracing test's
 * gateway once failed with EADDRINUSE that way).
 */
export { freePort } from "@shop/service-defaults/testing/FreePort"

export interface SpanRecord {
  readonly service: string
  readonly traceId: string
  readonly name: string
  readonly kind: number
}

/** An OTLP/HTTP JSON receiver on /v1/traces that keeps every span it is sent. */
export const collector = Effect.acquireRelease(
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

// The service keys of this file's processes (each creates its own on first start, development rules).
const keysDir = mkdtempSync(join(tmpdir(), "shop-ops-keys-"))

/** One platform process; stopped with SIGTERM (then SIGKILL) when the scope closes. Its output explains failures. */
export const launch = (name: string, script: string, env: Record<string, string>, output: Array<string>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = spawn(process.execPath, [repoPath(script)], {
        cwd: repoRoot,
        env: { ...process.env, LOG_LEVEL: "Warn", SERVICE_KEYS_DIR: keysDir, ...env },
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

export const waitReady = (url: string) =>
  Effect.tryPromise(() => fetch(url).then((r) => r.ok ? undefined : Promise.reject(new Error(`${url}: ${r.status}`))))
    .pipe(Effect.retry({ schedule: Schedule.spaced("250 millis"), times: 480 }))

/** A POST that retries while the platform answers 502/503/504 (a peer still connecting on a slow machine). */
export const post = (url: string, token: string, body: unknown) =>
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

/** An HS256 token the gateway accepts when it runs with `JWT_SECRET=secret`. */
export const tokenFor = (secret: string, sub: string, roles: ReadonlyArray<string> = []) =>
  Effect.promise(() =>
    new jose.SignJWT({ roles: [...roles] }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setSubject(sub)
      .setIssuer("shop-mesh").setAudience("shop-mesh-api").setIssuedAt().setExpirationTime("10m")
      .sign(new TextEncoder().encode(secret))
  )

/** The services one order's trace must reach, and the steps of its events it must show, by service and span. */
export const wholeTrace = {
  services: ["gateway", "order", "product", "payment", "notification"],
  steps: [["order", "publish shop.orders"], ["notification", "process shop.orders"], ["notification", "Mailer.send"]]
} as const

/**
 * The id of a trace that holds every service and every step of `wholeTrace`, waiting for the exporters (1 s interval)
 * for up to a minute; fails with the widest trace seen.
 */
export const awaitWholeTrace = (spans: ReadonlyArray<SpanRecord>) => {
  const whole = (traceId: string) => {
    const ofTrace = spans.filter((span) => span.traceId === traceId)
    return wholeTrace.services.every((service) => ofTrace.some((span) => span.service === service)) &&
      wholeTrace.steps.every(([service, name]) => ofTrace.some((s) => s.service === service && s.name === name))
  }
  return Effect.sync(() => [...new Set(spans.map((span) => span.traceId))].find(whole)).pipe(
    Effect.flatMap((hit) => hit === undefined ? Effect.fail("no whole trace yet") : Effect.succeed(hit)),
    Effect.retry({ schedule: Schedule.spaced("500 millis"), times: 120 }),
    Effect.catch(() => {
      const byTrace = new Map<string, Set<string>>()
      for (const span of spans) {
        byTrace.set(span.traceId, (byTrace.get(span.traceId) ?? new Set()).add(`${span.service}:${span.name}`))
      }
      const widest = [...byTrace.values()].toSorted((a, b) => b.size - a.size)[0]
      return Effect.die(
        new Error(
          `no trace holds ${wholeTrace.services.join(", ")} and ${
            wholeTrace.steps.map(([s, n]) => `${s}:${n}`).join(", ")
          }; the widest has ${JSON.stringify([...(widest ?? [])])}`
        )
      )
    })
  )
}
