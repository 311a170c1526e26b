import { describe, expect, it } from "vitest"
import { categoryOf, libraryOf } from "../perf-shares.ts"

const frame = (symbol: string, module = "/tmp/perf-1.map") => ({ symbol, module })

describe("perf samples by library", () => {
  it("names a JavaScript frame by the library of its file", () => {
    expect(libraryOf("JS:*'evaluate file:///work/main/node_modules/effect/dist/internal/effect.js:407:11+0x563"))
      .toBe("effect:internal/effect.js")
    expect(libraryOf("JS:+onReceiveStatus /work/main/node_modules/@grpc/grpc-js/build/src/client.js:173:28+0x1e3"))
      .toBe("@grpc/grpc-js")
    expect(libraryOf("JS:+ file:///work/main/packages/order/src/Orders.ts:167:5+0x10")).toBe("app:order/src/Orders.ts")
    expect(libraryOf("JS:^processTimers node:internal/timers:603:25+0x385")).toBe("node:internal/timers")
    expect(libraryOf("Builtins_KeyedLoadIC_Megamorphic+0x3447")).toBeUndefined()
  })

  it("charges a sample to its innermost JavaScript frame, marking kernel time and garbage collection", () => {
    const effect = frame("JS:*'evaluate file:///w/node_modules/effect/dist/internal/effect.js:407:11+0x5")
    const builtin = frame("Builtins_KeyedLoadIC_Megamorphic+0x3447", "/w/node_modules/node/bin/node")
    const kernel = frame("pvm_irq_enable+0x1", "[kernel.kallsyms]")
    expect(categoryOf([builtin, effect])).toBe("effect:internal/effect.js")
    expect(categoryOf([kernel, builtin, effect])).toBe("kernel<effect:internal/effect.js")
    expect(categoryOf([kernel, builtin])).toBe("kernel")
    expect(categoryOf([builtin])).toBe("native")
    expect(categoryOf([frame("v8::internal::Scavenger::ScavengePage+0x1", "node"), effect])).toBe("gc")
  })
})
