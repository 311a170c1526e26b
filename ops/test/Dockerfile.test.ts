import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { type Json, readText, repoPath, repoRoot } from "./OpsAssets.ts"

interface Instruction {
  readonly keyword: string
  readonly args: string
}

/** Dockerfile instructions, continuation lines joined and comments dropped. */
const parseDockerfile = (text: string): Array<Instruction> =>
  text.replace(/\\\n/g, " ").split("\n").map((line) => line.trim()).filter((line) =>
    line !== "" && !line.startsWith("#")
  ).map((line) => {
    const [keyword, ...rest] = line.split(/\s+/)
    return { keyword: keyword!.toUpperCase(), args: rest.join(" ") }
  })

const instructions = parseDockerfile(readText("Dockerfile"))
const stages = instructions.reduce<Array<Array<Instruction>>>((acc, instruction) => {
  if (instruction.keyword === "FROM") acc.push([])
  acc.at(-1)?.push(instruction)
  return acc
}, [])
const runtime = stages.at(-1)!
const ignored = readText(".dockerignore").split("\n").map((line) => line.trim()).filter((line) =>
  line !== "" && !line.startsWith("#")
)
const platform = ["gateway", "product", "order", "payment", "notification"]

const healthcheckCommand = (): Array<string> => {
  const healthcheck = runtime.find((instruction) => instruction.keyword === "HEALTHCHECK")
  assert.isDefined(healthcheck, "no HEALTHCHECK in the runtime stage")
  const exec = /CMD\s+(\[.*\])\s*$/.exec(healthcheck!.args)
  assert.isNotNull(exec, "HEALTHCHECK must use the exec form")
  return JSON.parse(exec![1]!) as Array<string>
}

const runHealthcheck = (port: number) =>
  new Promise<number | null>((resolve) => {
    const [command, ...args] = healthcheckCommand()
    assert.strictEqual(command, "node")
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: { ...process.env, ADMIN_PORT: String(port), SERVICE: "product" },
      stdio: "ignore"
    })
    child.on("exit", (code) => resolve(code))
  })

const withAdminStub = async <A>(status: number, body: (port: number) => Promise<A>) => {
  const paths: Array<string> = []
  const server = createServer((request, response) => {
    paths.push(request.url ?? "")
    response.writeHead(status).end()
  })
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening))
  try {
    return { result: await body((server.address() as AddressInfo).port), paths }
  } finally {
    await new Promise((closed) => server.close(closed))
  }
}

describe("Dockerfile", () => {
  it("is a multi-stage build on Node 24 whose runtime stage carries no build tooling", () => {
    assert.isAtLeast(stages.length, 2)
    const defaultImage = instructions.find((i) => i.keyword === "ARG" && i.args.startsWith("NODE_IMAGE="))
    assert.match(defaultImage?.args ?? "", /^NODE_IMAGE=node:24(-slim|-alpine)?/)
    assert.strictEqual(runtime[0]!.args, "${NODE_IMAGE} AS runtime")
    const all = instructions.map((i) => `${i.keyword} ${i.args}`).join("\n")
    assert.match(all, /RUN npm ci\b/)
    assert.match(all, /RUN node proto\/codegen\.ts/)
    assert.match(all, /RUN npm prune --omit=dev/)
  })

  it("copies every workspace manifest before npm ci, so the lock file resolves", () => {
    const manifest = JSON.parse(readText("package.json")) as Json
    const workspaces = (manifest.workspaces as Array<string>).flatMap((pattern) =>
      pattern.endsWith("/*")
        ? readdirSync(repoPath(pattern.slice(0, -2))).filter((dir) =>
          existsSync(repoPath(pattern.slice(0, -2), dir, "package.json"))
        ).map((dir) => `${pattern.slice(0, -2)}/${dir}`)
        : [pattern]
    )
    const ci = instructions.findIndex((i) => i.keyword === "RUN" && i.args.startsWith("npm ci"))
    const copiedBefore = instructions.slice(0, ci).filter((i) => i.keyword === "COPY").map((i) => i.args)
    for (const workspace of workspaces) {
      assert.isTrue(existsSync(repoPath(workspace, "package.json")), workspace)
      assert.isTrue(
        copiedBefore.some((args) => args.startsWith(`${workspace}/package.json `)),
        `${workspace}/package.json is not copied before npm ci`
      )
    }
  })

  it("copies only sources that exist and that .dockerignore lets through", () => {
    for (const ignore of ["**/node_modules", ".git", ".data", "proto/gen"]) assert.include(ignored, ignore)
    for (const copy of instructions.filter((i) => i.keyword === "COPY" && !i.args.includes("--from="))) {
      const sources = copy.args.split(/\s+/).filter((arg) => !arg.startsWith("--")).slice(0, -1)
      for (const source of sources) {
        assert.isTrue(existsSync(repoPath(source)), `COPY ${source}: no such path`)
        assert.notInclude(ignored, source, `COPY ${source} is excluded by .dockerignore`)
      }
    }
  })

  it("runs packages/$SERVICE/src/main.ts as a non-root user", () => {
    assert.isTrue(runtime.some((i) => i.keyword === "ARG" && i.args === "SERVICE"))
    const user = runtime.findLast((i) => i.keyword === "USER")
    assert.isDefined(user)
    assert.notInclude(["root", "0", "0:0"], user!.args)
    const cmd = runtime.findLast((i) => i.keyword === "CMD")
    assert.include(cmd?.args ?? "", "packages/${SERVICE}/src/main.ts")
    for (const service of platform) assert.isTrue(existsSync(repoPath("packages", service, "src/main.ts")), service)
    assert.isTrue(existsSync(repoPath("packages/payment/src/simulator/main.ts")))
  })

  it("its HEALTHCHECK passes on a live admin /healthz and fails otherwise", async () => {
    const up = await withAdminStub(200, runHealthcheck)
    assert.strictEqual(up.result, 0)
    assert.deepStrictEqual(up.paths, ["/healthz"])
    const failing = await withAdminStub(503, runHealthcheck)
    assert.strictEqual(failing.result, 1)
    const closed = await withAdminStub(200, async (port) => port)
    assert.strictEqual(await runHealthcheck(closed.result), 1)
  })
})
