import { spawn } from "node:child_process"
import { resolve } from "node:path"
import { describe, expect, it } from "vitest"

const guard = resolve(import.meta.dirname, "../orphan-guard.ts")
const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe("orphan guard", () => {
  it("stops a process whose launcher was killed with -9, and leaves one with a live launcher alone", async () => {
    // a stand-in launcher: starts a long-lived child the way scripts/start.ts does, prints its pid, waits
    const launcher = spawn(process.execPath, [
      "-e",
      `const { spawn } = require("node:child_process")
       const child = spawn(process.execPath, ["--import", ${
        JSON.stringify(guard)
      }, "-e", "setInterval(() => {}, 1000)"], {
         env: { ...process.env, SHOP_LAUNCHER_PID: String(process.pid) }, stdio: "ignore" })
       console.log(child.pid)
       setInterval(() => {}, 1000)`
    ], { stdio: ["ignore", "pipe", "inherit"] })
    const childPid = Number(
      await new Promise<string>((resolvePid) => launcher.stdout.once("data", (d) => resolvePid(String(d))))
    )
    try {
      await new Promise((r) => setTimeout(r, 2_500))
      expect(alive(childPid), "its launcher lives: it runs on").toBe(true)
      launcher.kill("SIGKILL")
      const deadline = Date.now() + 10_000
      while (alive(childPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      expect(alive(childPid), "its launcher is gone: it stopped itself").toBe(false)
    } finally {
      if (alive(childPid)) process.kill(childPid, "SIGKILL")
      launcher.kill("SIGKILL")
    }
  })
})
