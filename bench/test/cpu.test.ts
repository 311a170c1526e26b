import { describe, expect, it } from "vitest"
import { type CpuLine, formatCpu } from "../lib/cpu.ts"

const line = (name: string, cpuMs: number, shared = false): CpuLine => ({
  name,
  cpuMs,
  readWrites: 10,
  wakeUps: 5,
  shared,
  processes: 1
})

describe("formatCpu", () => {
  it("sums the platform's processes, and prints the simulated outside parties and the shared servers apart", () => {
    const table = formatCpu(
      {
        seconds: 10,
        lines: [
          line("order", 3_000),
          line("postgres shop_order", 1_000),
          line("payment-sim", 500),
          line("sms-sim", 20),
          line("redis", 100, true)
        ],
        generatorMs: 700,
        vanished: [],
        loadBefore: "1.00",
        loadAfter: "2.00"
      },
      1_000,
      "order"
    )
    const rows = new Map(table.split("\n").slice(2).map((row) => [row.slice(0, 40).trim(), row.slice(40).trim()]))
    // 3,000 + 1,000 ms over 1,000 orders: the simulators' 520 ms are not the platform's
    expect(rows.get("platform total")).toMatch(/^4000\s+4\.00 ms\s+40%/)
    expect(rows.get("payment-sim (card processor, outside)")).toMatch(/^500\s+500 us/)
    expect(rows.get("sms-sim (SMS gateway, outside)")).toMatch(/^20\s+20 us/)
    expect(rows.get("redis (shared)")).toMatch(/^100\s+100 us/)
    expect(rows.get("load generator (this process, wrk)")).toMatch(/^700\s+700 us/)
  })
})
