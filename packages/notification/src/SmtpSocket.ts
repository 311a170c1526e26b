import { connect, type Socket } from "node:net"
import type SMTPPool from "nodemailer/lib/smtp-pool/index.js"

/** nodemailer's own limit on opening a connection, when the settings name none. */
const defaultConnectTimeout = 120_000

/** What nodemailer's `getSocket` hands back: a connected socket, which it then greets over (and upgrades to TLS). */
export interface OpenedSocket {
  readonly connection: Socket
}

/**
 * Opens the TCP connection to the SMTP server with Nagle's algorithm off, as nodemailer's `getSocket`.
 *
 * nodemailer leaves Nagle on, and it writes a mail's body and the closing `<CRLF>.<CRLF>` as two writes. Nagle holds
 * the second until the server acknowledges the first, and the server's kernel delays that acknowledgement (40 ms on
 * Linux) because it has nothing to answer before the end of the data: every mail then took at least 40 ms, so a
 * pooled connection sent about 23 mails a second whatever the server's speed. Every other step of an SMTP session is
 * one write and a wait for the answer, so there is nothing for Nagle to coalesce.
 *
 * Host and port default as nodemailer's do (port 465 for implicit TLS, else 587); nodemailer greets the server and
 * upgrades to TLS (implicit or STARTTLS) over the socket given, as it does over its own.
 */
export const openSmtpSocket = (
  options: SMTPPool.Options,
  callback: (error: Error | null, socket: OpenedSocket | false) => void
): void => {
  const port = Number(options.port) || (options.secure === true ? 465 : 587)
  const socket = connect({
    host: options.host ?? "localhost",
    port,
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress })
  })
  // Applied once connected.
  socket.setNoDelay(true)
  let settled = false
  const settle = (error: Error | null) => {
    if (settled) return
    settled = true
    socket.setTimeout(0)
    socket.removeListener("timeout", onTimeout)
    if (error === null) return callback(null, { connection: socket })
    socket.destroy()
    callback(error, false)
  }
  const onTimeout = () => settle(new Error(`SMTP connection to ${options.host ?? "localhost"}:${port} timed out`))
  socket.setTimeout(options.connectionTimeout ?? defaultConnectTimeout, onTimeout)
  socket.once("connect", () => settle(null))
  // Before the connection: the error is the caller's. After: nodemailer listens on the socket for its own.
  socket.on("error", (error) => settle(error))
}
