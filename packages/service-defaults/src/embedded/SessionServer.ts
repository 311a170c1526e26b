/**
 * Serves one PGlite database to several clients over the PostgreSQL wire protocol.
 *
 * PGlite is a single PostgreSQL session. Clients may share it only if nothing of one client's exchange can land in
 * the middle of another's: an extended-query exchange (Parse, Bind, Execute ... Sync) keeps its unnamed statement
 * and portal in the session until Sync, and a transaction keeps its state until COMMIT or ROLLBACK. So a client that
 * starts either one owns the session until PostgreSQL reports ReadyForQuery with the idle status; the others wait.
 * (@electric-sql/pglite-socket queues message by message, so two clients' Parse/Bind pairs interleave: "portal does
 * not exist", or one client's parameters executing another's statement.)
 *
 * A client that disconnects while it owns the session has its exchange ended (Sync) and its transaction rolled
 * back. A client that holds a transaction idle longer than `idleInTransactionMs` while others wait is disconnected,
 * like PostgreSQL's idle_in_transaction_session_timeout, so that one stuck client cannot stop every other.
 */
import type { PGlite } from "@electric-sql/pglite"
import { createServer, type Server, type Socket } from "node:net"

const sslRequest = 80877103
const gssEncRequest = 80877104
const cancelRequest = 80877102
const sync = Uint8Array.of(0x53, 0, 0, 0, 4)

interface Client {
  readonly socket: Socket
  readonly pending: Array<Uint8Array>
  started: boolean
  closed: boolean
  /** In `waiting`. */
  queued: boolean
  /** When it last had a message run, to spot a transaction left idle. */
  lastActive: number
}

export interface SessionServer {
  readonly port: number
  readonly stop: () => Promise<void>
}

/** ReadyForQuery status in a chunk of server output ('I' idle, 'T' in a transaction, 'E' failed transaction). */
const readyStatus = (output: Uint8Array, parser: { rest: Uint8Array }): number | undefined => {
  let data = output
  if (parser.rest.length > 0) {
    data = new Uint8Array(parser.rest.length + output.length)
    data.set(parser.rest)
    data.set(output, parser.rest.length)
  }
  let status: number | undefined
  let offset = 0
  while (offset + 5 <= data.length) {
    const length =
      ((data[offset + 1]! << 24) | (data[offset + 2]! << 16) | (data[offset + 3]! << 8) | data[offset + 4]!) >>> 0
    if (offset + 1 + length > data.length) break
    if (data[offset] === 0x5a && length === 5) status = data[offset + 5]
    offset += 1 + length
  }
  parser.rest = data.slice(offset)
  return status
}

export const startSessionServer = async (options: {
  readonly db: PGlite
  readonly host: string
  readonly port: number
  readonly idleInTransactionMs?: number
}): Promise<SessionServer> => {
  const { db } = options
  const idleLimit = options.idleInTransactionMs ?? 60_000
  const clients = new Set<Client>()
  const waiting: Array<Client> = []
  let owner: Client | undefined
  let running = false

  /** Runs one message of `client` and tells whether the session is idle afterwards. */
  const execute = async (client: Client, message: Uint8Array) => {
    const parser = { rest: new Uint8Array(0) }
    let status: number | undefined
    await db.runExclusive(() =>
      db.execProtocolRawStream(message, {
        onRawData: (chunk) => {
          status = readyStatus(chunk, parser) ?? status
          if (!client.closed && chunk.length > 0) client.socket.write(Buffer.from(chunk))
        }
      })
    )
    return status === 0x49 // 'I'
  }

  /** Ends whatever a departed owner left open in the session. */
  const reset = async () => {
    await db.runExclusive(() => db.execProtocolRawStream(sync, { onRawData: () => {} }))
    if (db.isInTransaction()) await db.exec("ROLLBACK")
  }

  /** Puts a client with messages in line, unless it owns the session (then it is next anyway). */
  const schedule = (client: Client) => {
    if (client.queued || client === owner || client.closed || client.pending.length === 0) return
    client.queued = true
    waiting.push(client)
  }

  const pump = async () => {
    if (running) return
    running = true
    try {
      for (;;) {
        if (owner?.closed) {
          owner = undefined
          await reset()
        }
        let client = owner
        if (client === undefined) {
          client = waiting.shift()
          if (client === undefined) return
          client.queued = false
        }
        const message = client.pending.shift()
        if (message === undefined) {
          if (client === owner) return // the owner's next message has not arrived yet: everyone waits for it
          continue
        }
        client.lastActive = Date.now()
        const current = client
        const idle = await execute(current, message).catch(() => {
          current.socket.destroy()
          return false
        })
        owner = idle ? undefined : client
        schedule(client)
      }
    } finally {
      running = false
    }
  }

  const enqueue = (client: Client, message: Uint8Array) => {
    client.pending.push(message)
    schedule(client)
    void pump()
  }

  const onConnection = (socket: Socket) => {
    socket.setNoDelay(true)
    const client: Client = {
      socket,
      pending: [],
      started: false,
      closed: false,
      queued: false,
      lastActive: Date.now()
    }
    clients.add(client)
    let buffer: Buffer = Buffer.alloc(0)
    socket.on("data", (data: Buffer) => {
      buffer = buffer.length === 0 ? data : Buffer.concat([buffer, data])
      for (;;) {
        if (!client.started) {
          if (buffer.length < 8) return
          const length = buffer.readInt32BE(0)
          if (buffer.length < length) return
          const code = buffer.readInt32BE(4)
          const packet = buffer.subarray(0, length)
          buffer = buffer.subarray(length)
          if (code === sslRequest || code === gssEncRequest) socket.write("N")
          else if (code === cancelRequest) socket.end() // not supported: the query runs to its end
          else {
            client.started = true
            enqueue(client, new Uint8Array(packet))
          }
          continue
        }
        if (buffer.length < 5) return
        const length = buffer.readInt32BE(1)
        if (buffer.length < 1 + length) return
        const message = new Uint8Array(buffer.subarray(0, 1 + length))
        buffer = buffer.subarray(1 + length)
        if (message[0] === 0x58) return void socket.end() // Terminate: the session itself must live on
        enqueue(client, message)
      }
    })
    const gone = () => {
      if (client.closed) return
      client.closed = true
      client.pending.length = 0
      clients.delete(client)
      void pump() // a departed owner's exchange is ended there; a departed waiter is skipped
    }
    socket.on("close", gone)
    socket.on("error", () => socket.destroy())
  }

  // A transaction left idle while others wait for the session is ended by disconnecting its client.
  const watchdog = setInterval(() => {
    if (
      owner !== undefined && waiting.length > 0 && owner.pending.length === 0 &&
      Date.now() - owner.lastActive > idleLimit
    ) {
      owner.socket.destroy()
    }
  }, Math.min(1_000, idleLimit))
  watchdog.unref()

  const server: Server = createServer(onConnection)
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port, options.host, () => resolve())
  })
  const address = server.address()
  return {
    port: typeof address === "object" && address !== null ? address.port : options.port,
    stop: () =>
      new Promise<void>((resolve) => {
        clearInterval(watchdog)
        for (const client of clients) client.socket.destroy()
        server.close(() => resolve())
      })
  }
}
