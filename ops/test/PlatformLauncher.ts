/**
 * The platform as a user starts it, for the platform-wide tests: the repository's commands (`npm run kafka:mock`,
 * migrate, seed, the launcher of `npm start` / `make run-all`) as child processes, stopped when the scope closes.
 */
import { Effect } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { repoPath, repoRoot } from "./OpsAssets.ts"

const node = (script: string, args: ReadonlyArray<string>, env: Record<string, string>) =>
  spawn(process.execPath, [repoPath(script), ...args], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: "Warn", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })

const keepOutput = (name: string, child: ChildProcess, output: Array<string>) => {
  const keep = (chunk: Buffer) => output.push(`[${name}] ${chunk.toString("utf8").slice(0, 4000)}`)
  child.stdout!.on("data", keep)
  child.stderr!.on("data", keep)
}

/** Stops a child with `signal`, then SIGKILL after 15 s; its exit code. */
const stop = (child: ChildProcess, signal: NodeJS.Signals) =>
  Effect.callback<number | null>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.succeed(child.exitCode))
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000)
    child.once("exit", (code) => (clearTimeout(timer), resume(Effect.succeed(code))))
    child.kill(signal)
  })

/** Runs a script of the repository to its end (two minutes at most); fails with its output unless it exits 0. */
export const runScript = (script: string, env: Record<string, string>, output: Array<string>) =>
  Effect.callback<void, Error>((resume) => {
    const child = node(script, [], env)
    keepOutput(script, child, output)
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000)
    child.once("exit", (code, signal) => {
      clearTimeout(timer)
      resume(code === 0 ? Effect.void : Effect.fail(new Error(`${script} exited with ${code ?? signal}`)))
    })
  }).pipe(Effect.orDie)

/** `npm run kafka:mock` (its script): the KAFKA_BROKERS it prints; stopped with Ctrl-C when the scope closes. */
export const kafkaMockCli = (output: Array<string>) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly child: ChildProcess; readonly brokers: string }, Error>((resume) => {
      const child = node("tools/kafka-mock/main.ts", [], {})
      child.stderr!.on("data", (chunk: Buffer) => output.push(`[kafka-mock] ${chunk.toString("utf8")}`))
      createInterface({ input: child.stdout! }).on("line", (line) => {
        const brokers = /^KAFKA_BROKERS=(.+)$/.exec(line)?.[1]
        if (brokers !== undefined) resume(Effect.succeed({ child, brokers }))
      })
      child.once("exit", (code) => resume(Effect.fail(new Error(`kafka:mock exited with ${code}`))))
    }),
    ({ child }) => stop(child, "SIGINT")
  ).pipe(Effect.map(({ brokers }) => brokers), Effect.orDie)

/** The fixed ports of the launcher, before PORT_OFFSET (scripts/start.ts). */
const launcherPorts = [8080, 8081, 8082, 8083, 9091, 9101, 9102, 9103, 9104, 50051, 50052, 50053, 2525]

const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer()
    server.once("error", () => resolve(false))
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)))
  })

/**
 * A PORT_OFFSET under which every port of the launcher is free now, picked at random among 10000-15400 so that
 * parallel runs and people's own platforms (offsets in the thousands) are unlikely to meet.
 */
export const freeOffset = Effect.promise(async () => {
  for (let attempt = 0; attempt < 50; attempt++) {
    const offset = 10_000 + Math.floor(Math.random() * 5_400)
    const free = await Promise.all(launcherPorts.map((port) => isFree(port + offset)))
    if (free.every(Boolean)) return offset
  }
  throw new Error("no PORT_OFFSET with every launcher port free")
})

/**
 * `npm start` (what `make run-all` runs) with `env`, ready once it says so (three minutes at most); stopped with
 * Ctrl-C when the scope closes. `stop` does it earlier and gives the launcher's exit code.
 */
export const launcher = (env: Record<string, string>, output: Array<string>) =>
  Effect.gen(function*() {
    const dataDir = mkdtempSync(join(tmpdir(), "shop-mesh-launcher-"))
    yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dataDir, { recursive: true, force: true })))
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => node("scripts/start.ts", [], { ...env, DATA_DIR: dataDir, LOG_FORMAT: "json" })),
      (launched) => stop(launched, "SIGINT")
    )
    keepOutput("launcher", child, output)
    yield* Effect.callback<void, Error>((resume) => {
      const timer = setTimeout(() => resume(Effect.fail(new Error("the platform was not up within 180 s"))), 180_000)
      const settle = (outcome: Effect.Effect<void, Error>) => {
        clearTimeout(timer)
        resume(outcome)
      }
      createInterface({ input: child.stdout! }).on("line", (line) => {
        if (line.includes("Shop Mesh is up")) settle(Effect.void)
      })
      createInterface({ input: child.stderr! }).on("line", (line) => {
        if (line.includes("not healthy after")) settle(Effect.fail(new Error(line)))
      })
      child.once("exit", (code) => settle(Effect.fail(new Error(`launcher exited: ${code}`))))
    }).pipe(Effect.orDie)
    const offset = Number(env.PORT_OFFSET ?? 0)
    return { gateway: `http://127.0.0.1:${8080 + offset}`, stop: stop(child, "SIGINT") }
  })
