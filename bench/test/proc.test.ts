import { spawn } from "node:child_process"
import { createServer } from "node:net"
import type { AddressInfo } from "node:net"
import { describe, expect, it } from "vitest"
import {
  commandLine,
  cpuMillis,
  descendantsOf,
  environmentOf,
  kernelCounts,
  listenerOf,
  memoryOf,
  portsOf
} from "../lib/proc.ts"

describe("/proc readings", () => {
  it("finds the process listening on a port, and its sockets", async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const port = (server.address() as AddressInfo).port
    try {
      expect(listenerOf(port)).toBe(process.pid)
      expect(portsOf(process.pid).listening).toContain(port)
    } finally {
      server.close()
    }
    expect(listenerOf(port)).toBeUndefined()
  })

  it("reads the CPU a busy child burnt, finds it among the descendants, and reads its command line and environment", async () => {
    // the child spins until it has used 300 ms of CPU, however busy the machine is, then says so and idles
    const spin = "while (process.cpuUsage().user < 300000) {}; console.log('spun'); setTimeout(() => {}, 10000)"
    const child = spawn(process.execPath, ["-e", spin], {
      env: { ...process.env, BENCH_PROBE: "yes" },
      stdio: ["ignore", "pipe", "ignore"]
    })
    try {
      await new Promise((resolve) => child.stdout.once("data", resolve))
      const pid = child.pid!
      expect(descendantsOf(process.pid)).toContain(pid)
      expect(commandLine(pid)).toContain("-e")
      expect(environmentOf(pid, "BENCH_PROBE")).toBe("yes")
      expect(cpuMillis(pid)).toBeGreaterThanOrEqual(300)
      const memory = memoryOf(pid)!
      expect(memory.rss).toBeGreaterThan(10 * 1024 * 1024)
      expect(memory.pss).toBeLessThanOrEqual(memory.rss)
    } finally {
      child.kill("SIGKILL")
    }
    await new Promise((resolve) => child.once("exit", resolve))
    expect(cpuMillis(child.pid!)).toBeUndefined()
  })

  it("counts the system calls and wake-ups of a process as the kernel saw them", async () => {
    // once told to, the child writes 500 times to /dev/null, then sleeps 20 times, then says so
    const work = [
      "const { openSync, writeSync } = require('node:fs')",
      "const fd = openSync('/dev/null', 'w')",
      "process.stdin.once('data', async () => {",
      "  for (let i = 0; i < 500; i++) writeSync(fd, 'x')",
      "  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 2))",
      "  console.log('done')",
      "})",
      "console.log('ready')"
    ].join("\n")
    const child = spawn(process.execPath, ["-e", work], { stdio: ["pipe", "pipe", "ignore"] })
    try {
      await new Promise((resolve) => child.stdout.once("data", resolve))
      const before = kernelCounts(child.pid!)!
      const done = new Promise((resolve) => child.stdout.once("data", resolve))
      child.stdin.write("go\n")
      await done
      const after = kernelCounts(child.pid!)!
      // the 500 writes, the read of "go" and the "done" line; Node's own housekeeping adds a few, not hundreds
      expect(after.readWrites - before.readWrites).toBeGreaterThanOrEqual(502)
      expect(after.readWrites - before.readWrites).toBeLessThan(700)
      expect(after.wakeUps - before.wakeUps).toBeGreaterThanOrEqual(20)
    } finally {
      child.kill("SIGKILL")
    }
    await new Promise((resolve) => child.once("exit", resolve))
    expect(kernelCounts(child.pid!)).toBeUndefined()
  })
})
