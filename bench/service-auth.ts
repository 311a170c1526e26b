/**
 * `npm run bench:service-auth`: what service-to-service authentication costs per gRPC call.
 *
 * One process runs a gRPC server and its client on loopback (the product service's GetProduct with a canned
 * answer) and makes the same calls with and without service tokens, alternating the two modes so that a busy
 * machine disturbs both alike. It prints the CPU this process spent per call in each mode (client and server
 * together, from process.cpuUsage) and the difference, plus the cost of the token operations on their own: minting
 * and verifying a token (done once per token lifetime, per peer) and the cached paths every call takes.
 * Only successful calls count; a failed call fails the run.
 */
import { ProductServiceService } from "@shop/proto/product/v1/product"
import * as GrpcClient from "@shop/service-defaults/grpc/GrpcClient"
import * as GrpcServer from "@shop/service-defaults/grpc/GrpcServer"
import * as GrpcService from "@shop/service-defaults/grpc/GrpcService"
import { authenticator, ServiceIdentity } from "@shop/service-defaults/grpc/ServiceIdentity"
import { openKeyRing } from "@shop/service-defaults/grpc/ServiceKeys"
import { mintToken, verifyToken } from "@shop/service-defaults/grpc/ServiceTokens"
import { Context, Effect, Layer, Logger } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "64" },
    rounds: { type: "string", default: "3" }
  }
})
const calls = Number(values.calls)
const concurrency = Number(values.concurrency)
const rounds = Number(values.rounds)
const dir = mkdtempSync(join(tmpdir(), "shop-bench-keys-"))

const product = {
  id: "prod_bench",
  name: "Bench Widget",
  description: "",
  priceCents: 1250,
  currency: "USD",
  sku: "BENCH-1",
  category: "Bench",
  inventory: 10,
  reserved: 0,
  available: 10,
  createdAt: "2025-10-21T10:30:00.000Z",
  updatedAt: "2025-10-21T10:30:00.000Z"
}
const handlers = GrpcService.layerPartial(ProductServiceService, { getProduct: () => Effect.succeed({ product }) })

const cpuMicros = () => {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

/** `calls` GetProduct calls, `concurrency` in flight; CPU µs per successful call. */
const measure = (client: GrpcClient.GrpcClient) =>
  Effect.gen(function*() {
    const cpu = cpuMicros()
    const started = performance.now()
    const results = yield* Effect.forEach(
      Array.from({ length: calls }),
      () => Effect.result(client.unary(ProductServiceService.getProduct, { id: "prod_bench" })),
      { concurrency }
    )
    const failed = results.filter((result) => result._tag === "Failure").length
    if (failed > 0) return yield* Effect.die(new Error(`${failed} of ${calls} calls failed: the run does not count`))
    const seconds = (performance.now() - started) / 1000
    return { cpuPerCall: (cpuMicros() - cpu) / calls, callsPerSecond: calls / seconds }
  })

const perOp = (n: number, op: () => unknown) => {
  const cpu = cpuMicros()
  for (let i = 0; i < n; i++) op()
  return (cpuMicros() - cpu) / n
}

const program = Effect.gen(function*() {
  const server = yield* ServiceIdentity.pipe(Effect.provide(ServiceIdentity.layerWith({ name: "product", dir })))
  yield* server.ready
  const start = (authenticated: boolean) =>
    Effect.map(
      Layer.build(GrpcServer.layer(handlers, {
        host: "127.0.0.1",
        port: 0,
        ...(authenticated ? { authenticate: authenticator(server) } : {})
      })),
      (context) => `127.0.0.1:${Context.get(context, GrpcServer.GrpcServer).port}`
    )
  const plainAddress = yield* start(false)
  const authAddress = yield* start(true)
  const plain = yield* GrpcClient.make({ address: plainAddress, service: "product" })
  const signed = yield* GrpcClient.make({ address: authAddress, service: "product" }).pipe(
    Effect.provide(ServiceIdentity.layerWith({ name: "gateway", dir }))
  )
  // warm both paths (JIT, connections, the first token)
  yield* Effect.forEach(
    [plain, signed],
    (client) =>
      Effect.forEach(
        Array.from({ length: 2000 }),
        () => client.unary(ProductServiceService.getProduct, { id: "prod_bench" }),
        { concurrency }
      )
  )

  const results = { plain: [] as Array<number>, signed: [] as Array<number>, rate: [] as Array<number> }
  for (let round = 0; round < rounds; round++) {
    const a = yield* measure(plain)
    const b = yield* measure(signed)
    results.plain.push(a.cpuPerCall)
    results.signed.push(b.cpuPerCall)
    results.rate.push(b.callsPerSecond)
  }
  const median = (xs: ReadonlyArray<number>) => xs.toSorted((x, y) => x - y)[Math.floor(xs.length / 2)]!

  const key = openKeyRing({ dir, self: "gateway", production: false }).privateKey()
  const publicKeys = openKeyRing({ dir, self: "product", production: false }).publicKeys("gateway")
  const now = Math.floor(Date.now() / 1000)
  const token = mintToken({ iss: "gateway", aud: "product", iat: now, exp: now + 300 }, key)
  const gateway = yield* ServiceIdentity.pipe(Effect.provide(ServiceIdentity.layerWith({ name: "gateway", dir })))
  const header = gateway.credentialsFor("product")
  const mint = perOp(2_000, () => mintToken({ iss: "gateway", aud: "product", iat: now, exp: now + 300 }, key))
  const verify = perOp(
    2_000,
    () => verifyToken(token, { audience: "product", publicKeys, now, skew: 30, maxLifetime: 900 })
  )
  const cachedMint = perOp(200_000, () => gateway.credentialsFor("product"))
  const cachedVerify = perOp(200_000, () => server.verify(header))

  const line = (label: string, value: number) => `  ${label.padEnd(66)} ${value.toFixed(2).padStart(8)} µs`
  process.stdout.write(
    [
      `service-to-service authentication: ${rounds} rounds of ${calls} GetProduct calls, ${concurrency} in flight,`,
      `client and server in this process (CPU from process.cpuUsage; medians of the rounds)`,
      line("CPU per call, no authentication", median(results.plain)),
      line("CPU per call, service token signed, sent and verified", median(results.signed)),
      line("difference: what authentication adds to a call", median(results.signed) - median(results.plain)),
      `  calls/s with authentication (one process, both ends): ${Math.round(median(results.rate))}`,
      "token operations on their own:",
      line("mint a token (Ed25519 sign; once per peer per half lifetime)", mint),
      line("verify a new token (Ed25519 verify; once per token per server)", verify),
      line("credentials for a call (cached token)", cachedMint),
      line("verify a call's token (cached verification)", cachedVerify),
      ""
    ].join("\n")
  )
})

Effect.runPromise(Effect.scoped(program).pipe(Effect.provide(Logger.layer([])))).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`bench:service-auth failed: ${String(error)}\n`)
    process.exit(1)
  }
)
