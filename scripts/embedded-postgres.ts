/**
 * Serves the embedded PostgreSQL databases (PGlite) over the wire protocol until SIGINT/SIGTERM: one process for all
 * of them, each database its own PGlite instance (its own session, its own files) on its own port.
 *
 *   node scripts/embedded-postgres.ts <data-root> <name>=<port> [<name>=<port> ...]
 *
 * One process instead of one per database: the WebAssembly module is compiled once and Node's own ~70 MB is paid
 * once. A database that does not exist yet is a copy of an empty, initialised cluster (a template): initdb costs
 * seconds of CPU, so the template is kept in EMBEDDED_PG_TEMPLATE_DIR (default node_modules/.cache/shop-mesh, per
 * PGlite version) and made only when missing, by a short-lived child process, because PGlite keeps initdb's memory
 * (about 240 MB) for the life of the process that ran it. Copies and the template land under temporary names and
 * are renamed into place, so a crash never leaves half a database behind. EMBEDDED_PG_SHARED_BUFFERS sets each
 * database's buffer cache (default 16MB).
 */
import { execFile, execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs"
import { cp } from "node:fs/promises"
import { dirname, join } from "node:path"
import { promisify } from "node:util"

const [first, ...rest] = process.argv.slice(2)

if (first === "--initdb") {
  // the child: initialise an empty cluster at rest[0], then exit and give its memory back
  const { PGlite } = await import("@electric-sql/pglite")
  const db = await PGlite.create({ dataDir: rest[0]! })
  await db.close()
  process.exit(0)
}

const databases = rest.map((arg) => {
  const [name, port] = arg.split("=")
  return { name: name!, port: Number(port) }
})
if (first === undefined || databases.length === 0 || databases.some((d) => !d.name || !(d.port > 0))) {
  console.error("usage: embedded-postgres.ts <data-root> <name>=<port> [<name>=<port> ...]")
  process.exit(2)
}
const root = join(first, "pg")
const initialised = (dir: string) => existsSync(join(dir, "PG_VERSION"))

// The repository: the nearest folder above this file with PGlite in its node_modules (this file runs from scripts/,
// or bundled from node_modules/.cache/shop-mesh/service-bundles; see scripts/service-bundles.ts).
const repository = (function find(dir: string): string {
  if (existsSync(join(dir, "node_modules/@electric-sql/pglite/package.json"))) return dir
  const parent = dirname(dir)
  if (parent === dir) throw new Error(`no node_modules/@electric-sql/pglite above ${import.meta.dirname}`)
  return find(parent)
})(import.meta.dirname)
const pgliteVersion = (JSON.parse(
  readFileSync(join(repository, "node_modules/@electric-sql/pglite/package.json"), "utf8")
) as { version: string }).version
const templateRoot = process.env.EMBEDDED_PG_TEMPLATE_DIR ?? join(repository, "node_modules/.cache/shop-mesh")
const template = join(templateRoot, `pglite-${pgliteVersion}-template`)

/** The initialised empty cluster every new database starts from; made once per PGlite version. */
const ensureTemplate = () => {
  if (initialised(template)) return false
  const making = `${template}.${process.pid}.tmp`
  mkdirSync(templateRoot, { recursive: true })
  rmSync(making, { recursive: true, force: true })
  execFileSync(process.execPath, [import.meta.filename, "--initdb", making], { stdio: "inherit" })
  rmSync(template, { recursive: true, force: true })
  renameSync(making, template)
  return true
}

/**
 * Copies a folder with the system's `cp`: Node's own recursive copy costs about half a millisecond of CPU per file
 * (2.7 s for the five databases' 5,000 files, measured), `cp` a tenth of that. Where there is no `cp`, Node's.
 */
const copyFolder = (from: string, to: string): Promise<void> =>
  promisify(execFile)("cp", ["-R", from, to]).then(
    () => undefined,
    (error: NodeJS.ErrnoException) =>
      error.code === "ENOENT" ? cp(from, to, { recursive: true }) : Promise.reject(error)
  )

/**
 * Creates every missing database from the template. The copies (a thousand small files each) run in other
 * processes, all at once, while this process loads its code.
 */
const createMissing = async () => {
  const missing = databases.filter((d) => !initialised(join(root, d.name)))
  if (missing.length === 0) return { created: [], initdb: false }
  const initdb = ensureTemplate()
  mkdirSync(root, { recursive: true })
  await Promise.all(missing.map(async ({ name }) => {
    const target = join(root, name)
    rmSync(`${target}.tmp`, { recursive: true, force: true })
    rmSync(target, { recursive: true, force: true })
    await copyFolder(template, `${target}.tmp`)
    renameSync(`${target}.tmp`, target)
  }))
  return { created: missing.map((d) => d.name), initdb }
}
const creating = createMissing()

const [{ NodeRuntime }, { startEmbeddedPostgres }, { ObservabilityLive }, { Effect }] = await Promise.all([
  import("@effect/platform-node"),
  import("@shop/service-defaults/EmbeddedPostgres"),
  import("@shop/service-defaults/Observability"),
  import("effect")
])
const created = await creating

Effect.gen(function*() {
  if (created.created.length > 0) {
    yield* Effect.logInfo(
      "created embedded databases",
      created.created.join(", "),
      created.initdb ? `from a new template (initdb) in ${template}` : `from the template in ${template}`
    )
  }
  const sharedBuffers = process.env.EMBEDDED_PG_SHARED_BUFFERS ?? "16MB"
  yield* Effect.forEach(databases, ({ name, port }) =>
    Effect.gen(function*() {
      const pg = yield* startEmbeddedPostgres({ dataDir: join(root, name), port, sharedBuffers })
      yield* Effect.logInfo("embedded PostgreSQL ready", name, pg.url)
    }), { concurrency: "unbounded", discard: true })
  const memory = process.memoryUsage()
  // V8's heap, and everything outside it: the databases' WebAssembly memories and buffers
  yield* Effect.logInfo(
    "embedded PostgreSQL memory",
    { rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external, databases: databases.length }
  )
  return yield* Effect.never
}).pipe(
  Effect.scoped,
  Effect.provide(ObservabilityLive("embedded-postgres")),
  NodeRuntime.runMain
)
