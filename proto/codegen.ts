// Generates the TypeScript stubs in gen/ from the .proto files: buf (from npm, no system protoc) drives the
// ts-proto plugin with the options in buf.gen.yaml. Run by `npm run codegen` and by the root postinstall.
import { execFileSync } from "node:child_process"
import { createRequire } from "node:module"
import { delimiter, dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const buf = join(dirname(require.resolve("@bufbuild/buf/package.json")), "bin", "buf")
// buf finds the plugin as `protoc-gen-ts_proto` on PATH; the running Node goes first so the plugin runs on it too.
const tsProto = dirname(require.resolve("ts-proto/package.json"))
const env = { ...process.env, PATH: [dirname(process.execPath), tsProto, process.env.PATH ?? ""].join(delimiter) }

const run = (args: ReadonlyArray<string>) => execFileSync(buf, args, { cwd: here, env, stdio: "inherit" })

run(["lint"])
run(["generate"])
console.log(`generated ${join(here, "gen")}`)
