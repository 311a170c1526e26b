import { NodeHttpServer } from "@effect/platform-node"
import { Duration, Effect, Layer } from "effect"
import { createServer } from "node:http"
import { GatewayConfig } from "../GatewayConfig.ts"

/**
 * The gateway's HTTP server, with a bound on how long a client may take to send a request: its headers and its
 * body within `HTTP_READ_TIMEOUT` (10 s), else Node answers 408 and closes the connection. A slow client (or one
 * that trickles bytes on purpose) cannot hold a connection and its memory for Node's default five minutes.
 * `listen` overrides where it listens (tests: a free loopback port).
 */
export const GatewayHttpServer = (listen?: { readonly port: number; readonly host: string }) =>
  Layer.unwrap(GatewayConfig.use((config) => {
    const timeout = Duration.toMillis(config.readTimeout)
    return Effect.succeed(NodeHttpServer.layer(
      () =>
        createServer({
          requestTimeout: timeout,
          headersTimeout: timeout,
          // how often Node looks for connections past those timeouts (30 s by default, longer than the timeout)
          connectionsCheckingInterval: Math.min(1_000, Math.max(100, Math.floor(timeout / 4)))
        }),
      listen ?? { port: config.port, host: config.host }
    ))
  }))
