import { NodeHttpServer } from "@effect/platform-node"
import { problemType } from "@shop/domain"
import { Duration, Effect, Layer } from "effect"
import { type IncomingMessage, Server, type ServerOptions, type ServerResponse } from "node:http"
import type { Duplex } from "node:stream"
import { GatewayConfig } from "../GatewayConfig.ts"
import { HotPath } from "./HotPath.ts"

// What Node's parser refuses before any handler runs, answered as problem+json like everything else.
const parserProblems: Record<string, readonly [status: number, title: string, detail: string]> = {
  HPE_HEADER_OVERFLOW: [431, "Request Header Fields Too Large", "the request line and headers exceed 16 KB"],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "Request Timeout", "the request was not received in time"]
}

/** Answers a request Node could not parse (or did not receive in time) and closes the connection. */
const answerClientError = (error: NodeJS.ErrnoException, socket: Duplex) => {
  if (error.code === "ECONNRESET" || !socket.writable) return socket.destroy()
  const [status, title, detail] = parserProblems[error.code ?? ""] ??
    [400, "Bad Request", "the request is not valid HTTP/1.1"]
  // No request was parsed, so no client id can be read: the answer gets a fresh one, like every other answer.
  const requestId = crypto.randomUUID()
  // A 400 has the one shape of every 400 (see Problems.ts).
  const problem = status === 400
    ? { type: problemType("ValidationError"), title: "Validation Failed", status, detail, errors: [] }
    : { type: "about:blank", title, status, detail }
  const body = JSON.stringify({ ...problem, request_id: requestId })
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${
      Buffer.byteLength(body)
    }\r\nX-Content-Type-Options: nosniff\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`
  )
}

/**
 * A Node server that offers each request to the hot path before emitting it: only what the hot path declines
 * reaches the framework's handler (which listens to "request" like any listener).
 */
class ServerWithHotPath extends Server {
  readonly #hotPath: HotPath["Service"]
  constructor(options: ServerOptions, hotPath: HotPath["Service"]) {
    super(options)
    this.#hotPath = hotPath
  }
  override emit(event: string, ...args: Array<any>): boolean {
    if (event === "request") {
      const [request, response] = args as [IncomingMessage, ServerResponse]
      if (this.#hotPath.serve(request, response)) return true
    }
    return super.emit(event, ...args)
  }
}

/**
 * The gateway's HTTP server, with a bound on how long a client may take to send a request: its headers and its
 * body within `HTTP_READ_TIMEOUT` (10 s), else Node answers 408 and closes the connection. A slow client (or one
 * that trickles bytes on purpose) cannot hold a connection and its memory for Node's default five minutes.
 * Requests Node's parser refuses (headers over 16 KB, malformed HTTP) get a problem+json too, not a bare status.
 * Catalog reads the gateway holds are answered by the hot path (HotPath.ts) before the framework sees them.
 * `listen` overrides where it listens (tests: a free loopback port).
 */
export const GatewayHttpServer = (listen?: { readonly port: number; readonly host: string }) =>
  Layer.unwrap(Effect.gen(function*() {
    const config = yield* GatewayConfig
    const hotPath = yield* HotPath
    const timeout = Duration.toMillis(config.readTimeout)
    return NodeHttpServer.layer(
      () =>
        new ServerWithHotPath({
          requestTimeout: timeout,
          headersTimeout: timeout,
          // how often Node looks for connections past those timeouts (30 s by default, longer than the timeout)
          connectionsCheckingInterval: Math.min(1_000, Math.max(100, Math.floor(timeout / 4)))
        }, hotPath).on("clientError", answerClientError),
      listen ?? { port: config.port, host: config.host }
    )
  }))
