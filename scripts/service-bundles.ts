/**
 * The launcher's bundles: every process `npm start` runs (the five services, the two simulators, the embedded
 * databases' server) bundled by rolldown into a few files under node_modules/.cache/shop-mesh/service-bundles.
 *
 * Why: loading a service from its sources means resolving, reading and linking some thousand ES modules (Effect's
 * index alone names hundreds), each start, in every process. On two cores the eight processes of the embedded
 * platform spent most of their first seconds doing that. A bundle is a few files: the SMS simulator's start went
 * from 1.0 s of CPU to 0.47 s, the order service's from 1.3 s to 0.6 s (README: Embedded footprint).
 *
 * The bundles are rebuilt when any file they are built from is newer than the last build (like make, as the
 * storefront's build), into a temporary folder renamed into place, so a crash or a second launcher building at the
 * same time never leaves a half-written bundle to run. Packages that load files beside their own code (PGlite's
 * WebAssembly) or native bindings (the Kafka client) stay outside the bundle and are loaded from node_modules.
 * Containers run the sources (see the Dockerfile); RUN_FROM_SOURCE=true makes the launcher do the same, for a
 * profile whose frames name the source files (bench/perf-shares.ts).
 */
import { execFile } from "node:child_process"
import { randomUUID } from "node:crypto"
import { mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { promisify } from "node:util"
import { upToDate } from "./up-to-date.ts"

const root = resolve(import.meta.dirname, "..")

/** Each process the launcher runs, by the name of its bundle, and the source file it starts from. */
export const bundleEntries = {
  gateway: "packages/gateway/src/main.ts",
  product: "packages/product/src/main.ts",
  order: "packages/order/src/main.ts",
  payment: "packages/payment/src/main.ts",
  notification: "packages/notification/src/main.ts",
  "payment-sim": "packages/payment/src/simulator/main.ts",
  "sms-sim": "packages/notification/src/sms-simulator/main.ts",
  "embedded-postgres": "scripts/embedded-postgres.ts"
} as const

export type BundleName = keyof typeof bundleEntries

/** Which process a file runs: an entry's source, or its bundle (`.../service-bundles/order.mjs`). */
export const processOf = (file: string): BundleName | undefined =>
  (Object.keys(bundleEntries) as Array<BundleName>).find((name) =>
    file.endsWith(bundleEntries[name]) || file.endsWith(`/service-bundles/${name}.mjs`)
  )

/** What the bundles are built from: a change to any of these makes them stale. */
const inputs = [
  "packages/domain/src",
  "packages/service-defaults/src",
  "packages/gateway/src",
  "packages/product/src",
  "packages/order/src",
  "packages/payment/src",
  "packages/notification/src",
  "proto/gen",
  "scripts/embedded-postgres.ts",
  "scripts/service-bundles.ts",
  "package-lock.json"
]

// Loaded at run time from node_modules: files beside their code (PGlite), native bindings (the Kafka client), and
// undici, a CommonJS package that @effect/platform-node re-exports with `export *`, which a bundle cannot
// reproduce (its named exports are known only once it runs; Node finds them when it loads it).
const external = [/^@electric-sql\/pglite/, /^@confluentinc\//, /^undici(\/|$)/]

export const defaultBundleDir = join(root, "node_modules/.cache/shop-mesh/service-bundles")
const stampName = "built.json"

/** True when the bundles in `dir` are at least as new as every file they are built from. */
export const bundlesFresh = (dir: string, sources: ReadonlyArray<string> = inputs.map((i) => join(root, i))) =>
  upToDate(join(dir, stampName), sources)

export interface Bundles {
  readonly dir: string
  /** The file to run for a process. */
  readonly entry: (name: BundleName) => string
  /** Whether this call built them (false: the earlier build was still fresh). */
  readonly built: boolean
  readonly buildMs: number
}

/**
 * Builds the bundles into `dir` unless they are fresh. The build runs in a child process: rolldown keeps hundreds of
 * megabytes after a build, which the launcher, running for as long as the platform does, would hold on to.
 */
export const ensureBundles = async (dir = defaultBundleDir): Promise<Bundles> => {
  const entry = (name: BundleName) => join(dir, `${name}.mjs`)
  const started = performance.now()
  if (bundlesFresh(dir)) return { dir, entry, built: false, buildMs: 0 }
  await promisify(execFile)(process.execPath, [import.meta.filename, dir], { cwd: root })
  return { dir, entry, built: true, buildMs: performance.now() - started }
}

/** Builds the bundles into a temporary folder, then renames it to `dir`. */
const buildBundles = async (dir: string) => {
  // The stamp says when the build started: a source saved while it ran is newer, and makes the next start build.
  const startedAt = new Date()
  const { build } = await import("rolldown")
  const temporary = `${dir}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`
  rmSync(temporary, { recursive: true, force: true })
  mkdirSync(temporary, { recursive: true })
  try {
    await build({
      cwd: root,
      input: bundleEntries,
      platform: "node",
      external,
      logLevel: "silent",
      output: {
        dir: temporary,
        format: "esm",
        entryFileNames: "[name].mjs",
        chunkFileNames: "chunks/[name]-[hash].mjs",
        // so that a stack trace can be followed back to the source files (NODE_OPTIONS=--enable-source-maps)
        sourcemap: true
      }
    })
    writeFileSync(
      join(temporary, stampName),
      JSON.stringify({ builtFrom: startedAt.toISOString(), inputs, entries: bundleEntries }, null, 2)
    )
    utimesSync(join(temporary, stampName), startedAt, startedAt)
    // Another launcher may have built the same sources meanwhile: its bundles stay, and ours go.
    try {
      renameSync(temporary, dir)
    } catch {
      if (!bundlesFresh(dir)) {
        rmSync(dir, { recursive: true, force: true })
        renameSync(temporary, dir)
      }
    }
  } finally {
    rmSync(temporary, { recursive: true, force: true })
  }
}

// `node scripts/service-bundles.ts <dir>`: the build itself, in the child process of ensureBundles.
if (process.argv[1] === import.meta.filename) await buildBundles(resolve(process.argv[2] ?? defaultBundleDir))
