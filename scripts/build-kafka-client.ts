/**
 * Gives `@confluentinc/kafka-javascript` its native binding (librdkafka). Run by `npm install` (postinstall), and by
 * hand with `node scripts/build-kafka-client.ts`; it does nothing when the binding already loads.
 *
 * The package's own install script is turned off (`allowScripts` in package.json) because it cannot work on a
 * machine that reaches the npm registry but not GitHub, as CI here: it downloads a prebuilt binary from GitHub, its
 * fallback build from source downloads OpenSSL, zlib, zstd and curl sources, and node-gyp downloads Node's headers.
 * This script runs the same installer (`node-pre-gyp install --fallback-to-build`, forced: a binding that is there but
 * does not load, built for another Node, is replaced), so the prebuilt binary is still
 * used wherever GitHub answers. Where it does not, the build from the sources shipped in the npm package links
 * librdkafka against the system's OpenSSL and zlib (`CKJS_LINKING=dynamic`) and compiles against the headers of the
 * Node that runs it, taken from the npm registry's `node-<platform>-<arch>` package when they are not on the disk.
 * That fallback needs gcc, g++, make, python3 and the OpenSSL and zlib development files (Debian:
 * `build-essential python3 libssl-dev zlib1g-dev`); about a minute and a half on two cores.
 *
 * A binding built here is kept outside the checkout (`$XDG_CACHE_HOME/shop-mesh/kafka-binding`, default
 * `~/.cache`), by package version, Node version and machine: the next install of the same on this machine (CI's clean
 * clone, a second worktree) copies it back instead of building, if it loads; one that does not load (the system's
 * OpenSSL changed) is built again and replaces it. The container images (`--strict`) keep no copy.
 *
 * Without the binding the Kafka transport cannot start (every other part of the platform can): the install goes on
 * with a warning, except under CI=true or with `--strict` (the container images), where it fails.
 */
import { spawnSync } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync } from "node:fs"
import { createRequire } from "node:module"
import { homedir } from "node:os"
import { dirname, join, resolve } from "node:path"

const root = resolve(import.meta.dirname, "..")
const require = createRequire(join(root, "packages/service-defaults/package.json"))
const packageDir = dirname(require.resolve("@confluentinc/kafka-javascript/package.json"))

const loads = () =>
  spawnSync(process.execPath, ["-e", "require('@confluentinc/kafka-javascript')"], {
    cwd: join(root, "packages/service-defaults"),
    stdio: "ignore"
  }).status === 0

/** The Node version (`v24.21.0`) whose headers are under `dir`/include/node, if any. */
const headersVersion = (dir: string): string | undefined => {
  try {
    const text = readFileSync(join(dir, "include/node/node_version.h"), "utf8")
    const part = (name: string) => new RegExp(`^#define NODE_${name}_VERSION (\\d+)`, "m").exec(text)?.[1]
    return `v${part("MAJOR")}.${part("MINOR")}.${part("PATCH")}`
  } catch {
    return undefined
  }
}

/** The registry package that carries this Node's binary and headers, unpacked once into node_modules' cache. */
const headersFromRegistry = (): string | undefined => {
  const name = `node-${process.platform}-${process.arch}@${process.version.slice(1)}`
  const dir = join(root, "node_modules/.cache/shop-mesh", `node-headers-${process.version}`)
  if (headersVersion(join(dir, "package")) === process.version) return join(dir, "package")
  mkdirSync(dir, { recursive: true })
  console.log(`kafka client: fetching Node's headers from the npm registry (${name})`)
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ["npm"]
  const pack = spawnSync(npm[0]!, [...npm.slice(1), "pack", name, "--pack-destination", dir, "--silent"], {
    encoding: "utf8"
  })
  const tarball = pack.stdout?.trim().split("\n").pop()
  if (pack.status !== 0 || !tarball) return undefined
  spawnSync("tar", ["-xzf", join(dir, tarball), "-C", dir, "package/include"], { stdio: "inherit" })
  return headersVersion(join(dir, "package")) === process.version ? join(dir, "package") : undefined
}

/** npm's own node-gyp: npm names it to the scripts it runs; run by hand, it is found next to npm. */
const nodeGyp = (): string | undefined => {
  if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp
  const npmRoot = process.env.npm_execpath
    ? dirname(dirname(process.env.npm_execpath))
    : join(spawnSync("npm", ["root", "-g"], { encoding: "utf8" }).stdout?.trim() ?? "", "npm")
  const bin = join(npmRoot, "node_modules/node-gyp/bin/node-gyp.js")
  return existsSync(bin) ? bin : undefined
}

if (loads()) {
  console.log("kafka client: native binding present")
  process.exit(0)
}

const packageVersion = (JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { version: string })
  .version
const cacheDir = join(
  process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"),
  "shop-mesh/kafka-binding",
  `${packageVersion}-node${process.version}-${process.platform}-${process.arch}`
)
// The binding and the librdkafka libraries it loads from ../deps (its rpath).
const bindingFiles = [
  "build/Release/confluent-kafka-javascript.node",
  "build/deps/librdkafka.so.1",
  "build/deps/librdkafka++.so.1"
]

const restoredFromCache = () => {
  if (!bindingFiles.every((file) => existsSync(join(cacheDir, file)))) return false
  for (const file of bindingFiles) {
    mkdirSync(dirname(join(packageDir, file)), { recursive: true })
    copyFileSync(join(cacheDir, file), join(packageDir, file))
  }
  return loads()
}

const keepInCache = () => {
  try {
    for (const file of bindingFiles) {
      const target = join(cacheDir, file)
      mkdirSync(dirname(target), { recursive: true })
      // copied under another name, then renamed: an install running at the same time never reads half a file
      copyFileSync(join(packageDir, file), `${target}.${process.pid}`)
      renameSync(`${target}.${process.pid}`, target)
    }
  } catch (error) {
    console.warn(`kafka client: could not keep the binding in ${cacheDir} (${String(error)})`)
  }
}

if (restoredFromCache()) {
  console.log(`kafka client: native binding restored from ${cacheDir}`)
  process.exit(0)
}

// Headers of exactly the running Node. An inherited nodedir with other headers (a distribution's npm sets /usr, the
// headers of its own Node) would build a binding the running Node refuses.
const prefix = dirname(dirname(realpathSync(process.execPath)))
const nodedir = [prefix, join(prefix, "node_modules", `node-${process.platform}-${process.arch}`)]
  .find((dir) => headersVersion(dir) === process.version) ?? headersFromRegistry()
const env: Record<string, string | undefined> = {
  ...process.env,
  CKJS_LINKING: process.env.CKJS_LINKING ?? "dynamic",
  npm_config_nodedir: nodedir,
  npm_config_node_gyp: nodeGyp()
}
for (const key of ["npm_config_nodedir", "npm_config_node_gyp"]) if (env[key] === undefined) delete env[key]
const nodePreGyp = createRequire(join(packageDir, "package.json")).resolve("@mapbox/node-pre-gyp/bin/node-pre-gyp")

console.log("kafka client: installing the native binding (prebuilt binary, else a build from source)")
const install = spawnSync(process.execPath, [nodePreGyp, "install", "--fallback-to-build", "--update-binary"], {
  cwd: packageDir,
  stdio: "inherit",
  env
})

if (install.status === 0 && loads()) {
  // Not in the container images (`--strict`): there the copy would only make the image larger.
  const image = process.argv.includes("--strict")
  if (!image && bindingFiles.every((file) => existsSync(join(packageDir, file)))) keepInCache()
  console.log("kafka client: native binding ready")
  process.exit(0)
}
console.error(
  "kafka client: no native binding for @confluentinc/kafka-javascript, so the Kafka transport cannot run. See the " +
    "output above; a build from source needs gcc, g++, make, python3, libssl-dev and zlib1g-dev. Then run " +
    "`node scripts/build-kafka-client.ts`."
)
process.exit(process.env.CI === "true" || process.argv.includes("--strict") ? 1 : 0)
