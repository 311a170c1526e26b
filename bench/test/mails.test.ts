import { describe, expect, it } from "vitest"
import { mailsBehind } from "../lib/mails.ts"

describe("mailsBehind", () => {
  it("lets mails that trail their orders by a little pass", () => {
    expect(mailsBehind(3_252, 3_516)).toBeUndefined()
    expect(mailsBehind(1_545, 1_544)).toBeUndefined()
    expect(mailsBehind(0, 0)).toBeUndefined()
  })

  it("fails a run whose mails fell far behind, or that sent none", () => {
    expect(mailsBehind(704, 4_299)).toMatch(/mails fell behind: 704 sent for 4299 orders/)
    expect(mailsBehind(0, 3_320)).toMatch(/mails fell behind: 0 sent/)
  })
})
