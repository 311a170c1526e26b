import { readdirSync, readFileSync, readlinkSync } from "node:fs"

/** A listening TCP socket: the address it is bound to, its port and the process that owns it. */
export interface Listener {
  readonly address: string
  readonly port: number
  readonly pid: number
}

const parentOf = (pid: number): number | undefined => {
  try {
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
  } catch {
    return undefined
  }
}

const allPids = () => readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number)

/** `root` and every process below it. */
export const processTree = (root: number): ReadonlyArray<number> => {
  const children = new Map<number, Array<number>>()
  for (const pid of allPids()) {
    const parent = parentOf(pid)
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), pid])
  }
  const tree: Array<number> = []
  const visit = (pid: number) => {
    tree.push(pid)
    for (const child of children.get(pid) ?? []) visit(child)
  }
  visit(root)
  return tree
}

const ipv4 = (hex: string) => [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join(".")

// /proc/net/tcp6 prints the address as four 32-bit words, each in host (little-endian) byte order.
const ipv6 = (hex: string) => {
  const bytes = [0, 1, 2, 3].flatMap((word) =>
    [3, 2, 1, 0].map((i) => hex.slice(word * 8 + i * 2, word * 8 + i * 2 + 2))
  )
  const groups = Array.from({ length: 8 }, (_, i) => parseInt(bytes[i * 2]! + bytes[i * 2 + 1]!, 16).toString(16))
  const text = groups.join(":")
  return text === "0:0:0:0:0:0:0:0" ? "::" : text === "0:0:0:0:0:0:0:1" ? "::1" : text
}

const listeningSockets = () => {
  const sockets = new Map<string, { address: string; port: number }>()
  for (const [file, decode] of [["/proc/net/tcp", ipv4], ["/proc/net/tcp6", ipv6]] as const) {
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/)
      if (fields.length < 10 || fields[3] !== "0A") continue // 0A: LISTEN
      const [address, port] = fields[1]!.split(":")
      sockets.set(fields[9]!, { address: decode(address!), port: parseInt(port!, 16) })
    }
  }
  return sockets
}

/** Every TCP socket listened on by one of `pids` (Linux only: read from /proc). */
export const listenersOf = (pids: ReadonlyArray<number>): ReadonlyArray<Listener> => {
  const sockets = listeningSockets()
  const found: Array<Listener> = []
  for (const pid of pids) {
    let fds: Array<string> = []
    try {
      fds = readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue
    }
    for (const fd of fds) {
      let target = ""
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`)
      } catch {
        continue
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1]
      const socket = inode === undefined ? undefined : sockets.get(inode)
      if (socket !== undefined) found.push({ ...socket, pid })
    }
  }
  return found
}

/** Whether an address can only be reached from this machine. */
export const isLoopback = (address: string) =>
  address.startsWith("127.") || address === "::1" || address.startsWith("::ffff:127.") ||
  address === "0:0:0:0:0:ffff:7f00:1"
