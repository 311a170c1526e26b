import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

const root = resolve(import.meta.dirname, "../../../..")

/** The whole platform as `npm start` runs it, on ports shifted by `offset`, with its data in a fresh folder. */
export interface Platform {
  /** The launcher's process id; every process of the platform runs below it. */
  readonly pid: number
  /** Its data folder, named on the command line of the embedded databases' process. */
  readonly dataDir: string
  readonly gateway: string
  readonly admin: (port: number) => string
  readonly simulator: string
  readonly logs: () => string
  readonly token: (sub: string, roles?: ReadonlyArray<string>) => Promise<string>
  readonly stop: () => Promise<number | null>
}

const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<string>((resolveRun, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env } })
    let out = ""
    child.stdout.on("data", (chunk) => (out += chunk))
    child.stderr.on("data", (chunk) => (out += chunk))
    child.on("exit", (code) => code === 0 ? resolveRun(out.trim()) : reject(new Error(`exit ${code}: ${out}`)))
  })

export const startPlatform = async (offset: number, env: Record<string, string> = {}): Promise<Platform> => {
  const dataDir = mkdtempSync(join(tmpdir(), "shop-mesh-e2e-"))
  const launcher: ChildProcess = spawn(process.execPath, [join(root, "scripts/start.ts")], {
    cwd: root,
    env: { ...process.env, ...env, PORT_OFFSET: String(offset), DATA_DIR: dataDir, LOG_FORMAT: "json" },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  launcher.stdout!.on("data", (chunk) => (output += chunk))
  launcher.stderr!.on("data", (chunk) => (output += chunk))
  await new Promise<void>((ready, failed) => {
    const timer = setTimeout(() => failed(new Error(`platform not up after 150 s:\n${output.slice(-4000)}`)), 150_000)
    const check = () => {
      if (output.includes("Shop Mesh is up")) {
        clearTimeout(timer)
        ready()
      } else if (output.includes("not healthy after")) {
        clearTimeout(timer)
        failed(new Error(output.slice(-4000)))
      }
    }
    launcher.stdout!.on("data", check)
    launcher.on("exit", (code) => failed(new Error(`launcher exited with ${code}:\n${output.slice(-4000)}`)))
  })
  return {
    pid: launcher.pid!,
    dataDir,
    gateway: `http://127.0.0.1:${8080 + offset}`,
    admin: (port) => `http://127.0.0.1:${port + offset}`,
    simulator: `http://127.0.0.1:${8081 + offset}`,
    logs: () => output,
    token: (sub, roles = []) =>
      run([join(root, "scripts/token.ts"), "--sub", sub, ...roles.flatMap((role) => ["--role", role])]),
    stop: () =>
      new Promise((stopped) => {
        if (launcher.exitCode !== null) return stopped(launcher.exitCode)
        launcher.once("exit", (code) => {
          rmSync(dataDir, { recursive: true, force: true })
          stopped(code)
        })
        launcher.kill("SIGINT")
      })
  }
}

/** Polls `probe` until it returns a value, for at most `timeoutMs`. */
export const eventually = async <A>(probe: () => Promise<A | undefined>, timeoutMs = 30_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 250))
  }
}
