import { Effect } from "effect"
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs"
import { dirname, join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

/**
 * librdkafka's mock Kafka cluster (Debian's librdkafka-dev), run by a small C program next to this file that the
 * tests (and `npm run kafka:mock`) drive over stdin: it speaks the Kafka protocol on loopback, keeps everything in
 * memory, and lets a test take brokers down and up. A development and test tool, never a broker for production.
 */
export interface KafkaMockCluster {
  readonly brokers: ReadonlyArray<string>
  /** Disconnects the broker and refuses new connections; -1 for every broker. */
  readonly down: (brokerId: number) => Effect.Effect<void>
  readonly up: (brokerId: number) => Effect.Effect<void>
}

/**
 * Short group timings for tests: the mock cluster waits a session timeout for a member that left before it completes
 * the next rebalance, and a disconnect waits for the fetch in flight.
 */
export const testTimings = {
  sessionTimeout: 6_000,
  rebalanceTimeout: 6_000,
  heartbeatInterval: 500,
  maxWaitTimeInMs: 250
} as const

const here = dirname(fileURLToPath(import.meta.url))
const source = join(here, "mock_cluster.c")

const hasGcc = (): boolean => {
  try {
    execFileSync("gcc", ["--version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

/**
 * Why the mock cluster cannot run on this machine, or undefined when it can. Tests skip on a developer's machine
 * without gcc or librdkafka-dev, saying why; under `CI=true` they run regardless and fail, never skip.
 */
export const unavailable = (): string | undefined => {
  if (process.env["CI"] === "true") return undefined
  if (!existsSync("/usr/include/librdkafka/rdkafka_mock.h")) {
    return "needs librdkafka-dev (apt-get install librdkafka-dev)"
  }
  if (!hasGcc()) return "needs gcc to build the mock cluster driver"
  return undefined
}

/** Compiles the program once per source version into node_modules' cache (gcc and librdkafka-dev required). */
const compile = (): string => {
  const code = readFileSync(source)
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 12)
  const cache = join(here, "../../node_modules/.cache/shop-mesh")
  const binary = join(cache, `kafka-mock-cluster-${hash}`)
  if (!existsSync(binary)) {
    mkdirSync(cache, { recursive: true })
    try {
      // Test files run in parallel workers: each builds its own file and renames it into place, which is atomic,
      // so no worker ever starts a binary another one is still writing.
      const building = `${binary}.${process.pid}.tmp`
      execFileSync("gcc", ["-O1", "-Wall", "-o", building, source, "-lrdkafka"], { stdio: "pipe" })
      renameSync(building, binary)
    } catch (cause) {
      const stderr = (cause as { stderr?: Buffer }).stderr?.toString() ?? ""
      throw new Error(
        `cannot build the Kafka mock cluster (needs gcc and librdkafka-dev: apt-get install librdkafka-dev): ${stderr}`,
        { cause }
      )
    }
  }
  return binary
}

const start = (brokerCount: number) =>
  Effect.callback<{ readonly child: ChildProcessWithoutNullStreams; readonly cluster: KafkaMockCluster }, Error>(
    (resume) => {
      const child = spawn(compile(), [String(brokerCount)], { stdio: ["pipe", "pipe", "pipe"] })
      const lines = createInterface({ input: child.stdout })
      const replies: Array<(line: string) => void> = []
      let stderr = ""
      child.stderr.on("data", (chunk) => (stderr += String(chunk)))
      child.on("exit", (code) => resume(Effect.fail(new Error(`Kafka mock cluster exited (${code}): ${stderr}`))))
      const command = (line: string) =>
        Effect.callback<void>((done) => {
          replies.push((reply) =>
            done(reply === "ok" ? Effect.void : Effect.die(new Error(`mock cluster "${line}": ${reply}`)))
          )
          child.stdin.write(`${line}\n`)
        })
      lines.on("line", (line) => {
        if (line.startsWith("bootstrap ")) {
          const brokers = line.slice("bootstrap ".length).split(",")
          resume(Effect.succeed({
            child,
            cluster: {
              brokers,
              down: (id) => command(`down ${id}`),
              up: (id) => command(`up ${id}`)
            }
          }))
        } else {
          replies.shift()?.(line)
        }
      })
    }
  )

/** A mock cluster of `brokerCount` brokers for the scope: closing its stdin ends the process. */
export const make = (brokerCount = 3) =>
  Effect.acquireRelease(
    start(brokerCount),
    ({ child }) =>
      Effect.callback<void>((resume) => {
        if (child.exitCode !== null) return resume(Effect.void)
        child.once("exit", () => resume(Effect.void))
        child.stdin.end()
        setTimeout(() => child.kill("SIGKILL"), 5_000).unref()
      })
  ).pipe(Effect.map(({ cluster }) => cluster))
