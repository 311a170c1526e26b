/**
 * `perf script | node bench/perf-shares.ts`: where a process's CPU went, by library, from `perf` samples.
 *
 * V8's own profiler (`--cpu-prof`) samples wall time: on a machine whose cores are all busy, a process that wakes
 * another and is preempted shows that wait inside whatever it was running (a socket `write`). `perf` samples CPU
 * time. Each sample is charged to the innermost JavaScript frame on its stack, named by the library its file belongs
 * to (`effect:internal/effect.js`, `@grpc/grpc-js`, `app:order/src/Orders.ts`, `node:internal/http2/core`),
 * prefixed `kernel<` when the sample itself was in the kernel; garbage collection is its own line, and a sample
 * with no JavaScript frame at all (libuv, nghttp2, V8's own work) is `native`.
 *
 * The services need `NODE_OPTIONS=--perf-basic-prof` (V8 then writes /tmp/perf-<pid>.map, which names JIT frames)
 * and `RUN_FROM_SOURCE=true` (the launcher's bundles put every library in a few files, which would name no library),
 * and `perf` is Debian's `linux-perf`. For example, with a bench running:
 *
 *   RUN_FROM_SOURCE=true NODE_OPTIONS=--perf-basic-prof npm run bench:orders -- --start --duration 25 &
 *   sleep 20; perf record -a -g -F 997 -o /tmp/perf.data -- sleep 12
 *   perf script -i /tmp/perf.data --pid <order service pid> | node bench/perf-shares.ts [--top 30]
 */
import { createInterface } from "node:readline"
import { parseArgs } from "node:util"

interface Frame {
  readonly symbol: string
  readonly module: string
}

const garbageCollection = /Scavenge|MarkCompact|ConcurrentMarking|Sweeper|MinorGC|MajorGC/

/** The library a JavaScript frame's file belongs to; undefined for a frame that is not JavaScript. */
export const libraryOf = (symbol: string): string | undefined => {
  if (!symbol.startsWith("JS:")) return undefined
  const location = /(?:file:\/\/)?(\/\S+|node:\S+)$/.exec(symbol.replace(/\+0x[0-9a-f]+$/, ""))?.[1]
  if (location === undefined) return undefined
  const path = location.replace(/:\d+(?::\d+)?$/, "")
  if (path.startsWith("node:")) return `node:${path.slice(5).split("/").slice(0, 3).join("/")}`
  const modules = path.lastIndexOf("node_modules/")
  if (modules >= 0) {
    const parts = path.slice(modules + "node_modules/".length).split("/")
    if (parts[0] === "effect") return `effect:${parts.slice(2).join("/")}`
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!
  }
  const app = path.indexOf("/packages/")
  if (app >= 0) return `app:${path.slice(app + "/packages/".length)}`
  return path
}

/** The line a sample is counted under, from its frames, innermost first. */
export const categoryOf = (frames: ReadonlyArray<Frame>): string => {
  const leaf = frames[0]
  if (leaf === undefined) return "native"
  if (garbageCollection.test(leaf.symbol)) return "gc"
  const inKernel = leaf.module.includes("kernel")
  for (const frame of frames) {
    const library = libraryOf(frame.symbol)
    if (library !== undefined) return inKernel ? `kernel<${library}` : library
  }
  return inKernel ? "kernel" : "native"
}

/** One frame line of `perf script`: "<address> <symbol>+<offset> (<module>)". */
const parseFrame = (line: string): Frame | undefined => {
  const match = /^\s*[0-9a-f]+ (.*) \((.*)\)$/.exec(line)
  return match === null ? undefined : { symbol: match[1]!, module: match[2]! }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { top: { type: "string", default: "30" } } })
  const counts = new Map<string, number>()
  let samples = 0
  let frames: Array<Frame> = []
  const endSample = () => {
    if (frames.length === 0) return
    samples++
    const category = categoryOf(frames)
    counts.set(category, (counts.get(category) ?? 0) + 1)
    frames = []
  }
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === "") endSample()
    else if (/^\s/.test(line)) {
      const frame = parseFrame(line)
      if (frame !== undefined) frames.push(frame)
    }
  }
  endSample()
  if (samples === 0) {
    console.error("no samples on stdin: pipe `perf script` output, filtered to one process with --pid")
    process.exit(1)
  }
  console.log(`${samples} samples`)
  for (const [category, n] of [...counts].toSorted((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
    console.log(`${((100 * n) / samples).toFixed(1).padStart(5)} %  ${category}`)
  }
}
