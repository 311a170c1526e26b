import { freePort as freePortEffect } from "@shop/service-defaults/testing/FreePort"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { bundleEntries, bundlesFresh, ensureBundles, processOf } from "../service-bundles.ts"

const scratch = mkdtempSync(join(tmpdir(), "shop-bundles-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** A free port below the ephemeral range (see FreePort.ts). */
const freePort = () => Effect.runPromise(freePortEffect)

describe("bundlesFresh", () => {
  const seconds = (s: number) => new Date(1_700_000_000_000 + s * 1000)
  const at = (path: string, s: number) => utimesSync(path, seconds(s), seconds(s))

  it("is stale without a build, and after any source file changed, however deep", () => {
    const dir = join(scratch, "fresh")
    const sources = join(scratch, "sources")
    mkdirSync(join(sources, "a/b"), { recursive: true })
    writeFileSync(join(sources, "a/b/Deep.ts"), "export {}")
    writeFileSync(join(sources, "lock.json"), "{}")
    mkdirSync(dir, { recursive: true })
    const inputs = [join(sources, "a"), join(sources, "lock.json")]
    expect(bundlesFresh(dir, inputs)).toBe(false)

    writeFileSync(join(dir, "built.json"), "{}")
    for (const path of [join(sources, "a/b/Deep.ts"), join(sources, "a/b"), join(sources, "a"), inputs[1]!]) {
      at(path, 10)
    }
    at(join(dir, "built.json"), 20)
    expect(bundlesFresh(dir, inputs)).toBe(true)

    at(join(sources, "a/b/Deep.ts"), 30)
    expect(bundlesFresh(dir, inputs)).toBe(false)
    at(join(sources, "a/b/Deep.ts"), 10)
    at(inputs[1]!, 30)
    expect(bundlesFresh(dir, inputs)).toBe(false)
  })
})

describe("processOf", () => {
  it("names the process a command line runs, from its sources or its bundle, and nothing else", () => {
    expect(processOf("/work/main/packages/payment/src/main.ts")).toBe("payment")
    expect(processOf("/work/main/packages/payment/src/simulator/main.ts")).toBe("payment-sim")
    expect(processOf("/tmp/wt/node_modules/.cache/shop-mesh/service-bundles/payment-sim.mjs")).toBe("payment-sim")
    expect(processOf("/repo/node_modules/.cache/shop-mesh/service-bundles/embedded-postgres.mjs"))
      .toBe("embedded-postgres")
    expect(processOf("/repo/node_modules/.cache/shop-mesh/service-bundles/chunks/Schema-abc.mjs")).toBeUndefined()
    expect(processOf("/repo/scripts/start.ts")).toBeUndefined()
  })
})

describe("ensureBundles", () => {
  const dir = join(scratch, "bundles")

  it("builds a bundle per process, once, also when two launchers build at the same moment", async () => {
    const [first, second] = await Promise.all([ensureBundles(dir), ensureBundles(dir)])
    expect(first.built && second.built).toBe(true)
    for (const name of Object.keys(bundleEntries)) expect(existsSync(join(dir, `${name}.mjs`))).toBe(true)
    // no temporary folder of either build is left beside the bundles
    expect(readdirSync(scratch).filter((entry) => entry.startsWith("bundles."))).toEqual([])

    // the build is stamped with the time it started: a source saved while it ran is newer than the stamp
    expect(statSync(join(dir, "built.json")).mtimeMs).toBeLessThan(statSync(join(dir, "order.mjs")).mtimeMs)

    const again = await ensureBundles(dir)
    expect(again.built).toBe(false)
    expect(again.entry("order")).toBe(join(dir, "order.mjs"))
  }, 120_000)

  it("fails, leaving nothing behind, when it cannot build (the launcher then runs the sources)", async () => {
    const blocked = join(scratch, "a-file")
    writeFileSync(blocked, "not a folder")
    await expect(ensureBundles(join(blocked, "bundles"))).rejects.toThrow()
    expect(readdirSync(scratch).filter((entry) => entry.startsWith("a-file"))).toEqual(["a-file"])
    expect(bundlesFresh(join(blocked, "bundles"))).toBe(false)
  }, 60_000)

  it("runs: the bundled payment simulator starts and answers", async () => {
    const port = await freePort()
    const child = spawn(process.execPath, [join(dir, "payment-sim.mjs")], {
      env: { ...process.env, SIMULATOR_PORT: String(port) },
      stdio: "ignore"
    })
    try {
      const deadline = Date.now() + 30_000
      let answer: unknown
      while (answer === undefined && Date.now() < deadline) {
        answer = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.json(), () => undefined)
        if (answer === undefined) await new Promise((r) => setTimeout(r, 100))
      }
      expect(answer).toEqual({ status: "ok", service: "payment-simulator" })
    } finally {
      child.kill()
    }
  }, 60_000)
})
