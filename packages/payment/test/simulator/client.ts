import { Data, Effect } from "effect"
import { type IncomingHttpHeaders, request } from "node:http"

/** A reply as the wire carried it: status, headers, the raw text and its parsed JSON. */
export interface WireReply {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly text: string
  readonly body: any
}

/** The request failed below HTTP, e.g. `ECONNRESET` ("socket hang up") when the server dropped the connection. */
export class TransportError extends Data.TaggedError("TransportError")<{
  readonly code: string | undefined
  readonly message: string
}> {}

export interface CallOptions {
  readonly body?: unknown
  readonly idempotencyKey?: string
  /** Raw body bytes, sent instead of `body`. */
  readonly rawBody?: string
}

/**
 * One HTTP call with `node:http` on a fresh connection (no keep-alive agent, so a dropped connection is seen as the
 * client sees it). Interrupting it (e.g. `Effect.timeout`) aborts the request, as a client giving up would.
 */
export const call = (baseUrl: string, method: string, path: string, options: CallOptions = {}) =>
  Effect.callback<WireReply, TransportError>((resume) => {
    const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body))
    const headers: Record<string, string> = {}
    if (payload !== undefined) headers["content-type"] = "application/json"
    if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey
    const req = request(new URL(path, baseUrl), { method, headers, agent: false }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on(
        "error",
        (error: NodeJS.ErrnoException) =>
          resume(Effect.fail(new TransportError({ code: error.code, message: error.message })))
      )
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        let body: unknown = undefined
        try {
          body = text === "" ? undefined : JSON.parse(text)
        } catch {
          body = undefined
        }
        resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, text, body }))
      })
    })
    req.on(
      "error",
      (error: NodeJS.ErrnoException) =>
        resume(Effect.fail(new TransportError({ code: error.code, message: error.message })))
    )
    req.end(payload)
    return Effect.sync(() => req.destroy())
  })

const visa = { amount: 1999, currency: "usd", payment_method: "pm_card_visa" }

/** A charge body for `orderId`, by default a 19.99 USD visa payment. */
export const chargeBody = (orderId: string, overrides: Record<string, unknown> = {}) => ({
  ...visa,
  order_id: orderId,
  ...overrides
})

/** The simulator's endpoints, bound to one base URL. */
export const simulatorClient = (baseUrl: string) => ({
  charge: (body: unknown, idempotencyKey: string) => call(baseUrl, "POST", "/v1/charges", { body, idempotencyKey }),
  refund: (body: unknown, idempotencyKey: string) => call(baseUrl, "POST", "/v1/refunds", { body, idempotencyKey }),
  get: (path: string) => call(baseUrl, "GET", path),
  ledger: Effect.map(call(baseUrl, "GET", "/v1/ledger"), (reply) => reply.body),
  setFaults: (faults: Record<string, number>) => call(baseUrl, "PUT", "/admin/faults", { body: faults }),
  reset: call(baseUrl, "POST", "/admin/reset")
})
