/**
 * The servers of `bench:floor`'s round-trip latencies, in a process of their own (started by bench/floor.ts): a TCP
 * echo, an HTTP/2 server answering "ok", and a grpc-js echo, all on loopback ports chosen by the system. Prints their
 * ports as one JSON line once they listen; stops when its parent closes its stdin.
 */
import { createServer as createH2Server } from "node:http2"
import { type AddressInfo, createServer as createTcpServer } from "node:net"
import { serveEcho } from "./floor-echo.ts"

const listening = (
  server: { listen: (port: number, host: string, done: () => void) => unknown; address: () => unknown }
) =>
  new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)))

const tcp = createTcpServer((socket) => {
  socket.setNoDelay(true)
  socket.on("data", (data) => socket.write(data))
})
const h2 = createH2Server()
h2.on("stream", (stream) => {
  stream.respond({ ":status": 200 })
  stream.end("ok")
})
const rpc = await serveEcho()
console.log(JSON.stringify({ tcp: await listening(tcp), h2: await listening(h2), grpc: rpc.port }))
process.stdin.resume()
process.stdin.on("end", () => process.exit(0))
