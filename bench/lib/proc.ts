/**
 * What Linux tells about processes in /proc: CPU time, parents, command lines, environments, sockets. Benchmarks use
 * it to find the platform's processes and charge them the CPU they spent, so a figure never depends on a process
 * reporting on itself.
 */
import { execFileSync } from "node:child_process"
import { readdirSync, readFileSync, readlinkSync } from "node:fs"

/** Clock ticks per second of the CPU times in /proc/<pid>/stat (USER_HZ, 100 on Linux). */
export const clockTicks = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100
  } catch {
    return 100
  }
})()

const readText = (path: string) => {
  try {
    return readFileSync(path, "utf8")
  } catch {
    return undefined
  }
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces): index 0 is field 3, `state`. */
const statFields = (pid: number) => {
  const text = readText(`/proc/${pid}/stat`)
  if (text === undefined) return undefined
  return text.slice(text.lastIndexOf(")") + 2).split(" ")
}

/** CPU time (user + system, every thread) the process has spent, in milliseconds; undefined once it is gone. */
export const cpuMillis = (pid: number): number | undefined => {
  const fields = statFields(pid)
  if (fields === undefined) return undefined
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks
}

/**
 * Read/write system calls and wake-ups of a process so far, counted by the kernel. `readWrites` is `syscr` + `syscw`
 * of /proc/<pid>/io: every read, write, readv, writev (and their positional forms), on sockets and files alike: what
 * Node (libuv) and Redis use for their sockets, one per read or write whatever its size. Sockets used through recv
 * and send, as PostgreSQL's backends use theirs, are not counted: for them it is file and pipe I/O only.
 * `wakeUps` is how often one of its threads went to sleep waiting and was woken (voluntary context switches summed
 * over /proc/<pid>/task). Unlike CPU time they do not depend on how busy the machine is: a change that saves round
 * trips shows in them on any hour. Undefined once the process is gone.
 */
export const kernelCounts = (pid: number): { readonly readWrites: number; readonly wakeUps: number } | undefined => {
  const io = readText(`/proc/${pid}/io`)
  if (io === undefined) return undefined
  const field = (text: string, name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0)
  let tasks: Array<string> = []
  try {
    tasks = readdirSync(`/proc/${pid}/task`)
  } catch {
    return undefined
  }
  const wakeUps = tasks.reduce(
    (sum, task) => sum + field(readText(`/proc/${pid}/task/${task}/status`) ?? "", "voluntary_ctxt_switches"),
    0
  )
  return { readWrites: field(io, "syscr") + field(io, "syscw"), wakeUps }
}

/**
 * CPU time of this process and of the children it has waited for (a load generator it ran, like wrk), in
 * milliseconds: a child's time is added when it exits and is reaped.
 */
export const ownCpuMillisWithChildren = (): number => {
  const fields = statFields(process.pid)!
  return ((Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1000) / clockTicks
}

export const parentOf = (pid: number): number | undefined => {
  const fields = statFields(pid)
  return fields === undefined ? undefined : Number(fields[1])
}

export const allPids = (): Array<number> => readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number)

/** Every descendant of `root` (children, their children, ...). */
export const descendantsOf = (root: number): Array<number> => {
  const children = new Map<number, Array<number>>()
  for (const pid of allPids()) {
    const parent = parentOf(pid)
    if (parent !== undefined) children.set(parent, [...children.get(parent) ?? [], pid])
  }
  const found: Array<number> = []
  const visit = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push(child)
      visit(child)
    }
  }
  visit(root)
  return found
}

export const commandLine = (pid: number): Array<string> =>
  (readText(`/proc/${pid}/cmdline`) ?? "").split("\0").filter((arg) => arg !== "")

/** One variable of a process's environment as it was started (readable for one's own processes only). */
export const environmentOf = (pid: number, name: string): string | undefined => {
  const entry = (readText(`/proc/${pid}/environ`) ?? "").split("\0").find((item) => item.startsWith(`${name}=`))
  return entry?.slice(name.length + 1)
}

/** Resident and proportional set size (shared pages divided among their sharers), in bytes. */
export const memoryOf = (pid: number): { readonly rss: number; readonly pss: number } | undefined => {
  const text = readText(`/proc/${pid}/smaps_rollup`)
  if (text === undefined) return undefined
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0) * 1024
  return { rss: kb("Rss"), pss: kb("Pss") }
}

interface Socket {
  readonly inode: number
  readonly localPort: number
  readonly remotePort: number
  readonly listening: boolean
}

/** Every TCP socket of this network namespace (IPv4 and IPv6). */
export const tcpSockets = (): Array<Socket> =>
  ["/proc/net/tcp", "/proc/net/tcp6"].flatMap((path) =>
    (readText(path) ?? "").split("\n").slice(1).flatMap((line): Array<Socket> => {
      const cells = line.trim().split(/\s+/)
      if (cells.length < 10) return []
      const port = (address: string) => parseInt(address.slice(address.lastIndexOf(":") + 1), 16)
      return [{
        localPort: port(cells[1]!),
        remotePort: port(cells[2]!),
        listening: cells[3] === "0A",
        inode: Number(cells[9])
      }]
    })
  )

/** Inodes of the sockets a process holds open. */
export const socketInodes = (pid: number): Set<number> => {
  const inodes = new Set<number>()
  let fds: Array<string> = []
  try {
    fds = readdirSync(`/proc/${pid}/fd`)
  } catch {
    return inodes
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (match) inodes.add(Number(match[1]))
    } catch {
      // closed meanwhile
    }
  }
  return inodes
}

/** The process listening on a TCP port, found through the socket's inode. */
export const listenerOf = (port: number, candidates: ReadonlyArray<number> = allPids()): number | undefined => {
  const inodes = new Set(tcpSockets().filter((s) => s.listening && s.localPort === port).map((s) => s.inode))
  if (inodes.size === 0) return undefined
  return candidates.find((pid) => [...socketInodes(pid)].some((inode) => inodes.has(inode)))
}

/** The ports a process listens on, and the local ports of its other TCP connections. */
export const portsOf = (pid: number, sockets: ReadonlyArray<Socket> = tcpSockets()) => {
  const inodes = socketInodes(pid)
  const own = sockets.filter((s) => inodes.has(s.inode))
  return {
    listening: [...new Set(own.filter((s) => s.listening).map((s) => s.localPort))].toSorted((a, b) => a - b),
    connected: own.filter((s) => !s.listening).map((s) => s.localPort)
  }
}

/** The 1, 5 and 15 minute load averages, as printed next to every figure. */
export const loadAverage = () => (readText("/proc/loadavg") ?? "? ? ?").split(" ").slice(0, 3).join(" ")
