import { assert, describe, it } from "@effect/vitest"
import { freePort as freePortEffect } from "@shop/service-defaults/testing/FreePort"
import { Effect } from "effect"
import { execFileSync, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { PublishedSecrets } from "../src/auth/SigningSecretPolicy.ts"
import { startGateway } from "./fixtures/TestGateway.ts"

const root = resolve(import.meta.dirname, "../../..")

const freePort = () => Effect.runPromise(freePortEffect)
const generated = () => randomBytes(48).toString("base64")

/** Starts a gateway in-process and returns why it refused to start, or fails the test if it started. */
const refusal = (env: Record<string, string>) =>
  startGateway(env).pipe(
    Effect.flip,
    Effect.map((error) => String((error as { message?: unknown }).message ?? error)),
    Effect.scoped
  )

describe("signing secrets in production (SHOP_ENV=production)", () => {
  it.live("refuses every secret published in the repository, with a start-up error that says so", () =>
    Effect.gen(function*() {
      for (const secret of PublishedSecrets) {
        const message = yield* refusal({ SHOP_ENV: "production", JWT_SECRET: secret })
        assert.include(message, "refusing to start: JWT_SECRET", secret)
        assert.include(message, "published in the Shop Mesh repository", secret)
      }
      // The same secrets are development secrets: accepted where SHOP_ENV is development.
      yield* startGateway({ SHOP_ENV: "development", JWT_SECRET: PublishedSecrets[1]! }).pipe(Effect.scoped)
    }))

  it.live("refuses a missing, short, placeholder or low-variety secret; starts with a generated one", () =>
    Effect.gen(function*() {
      const missing = yield* refusal({ SHOP_ENV: "production", JWT_SECRET: "" })
      assert.include(missing, "JWT_SECRET")
      assert.include(yield* refusal({ SHOP_ENV: "production", JWT_SECRET: "short-but-random-Xq9" }), "32 bytes")
      assert.include(
        yield* refusal({ SHOP_ENV: "production", JWT_SECRET: "please-replace-me-with-a-long-random-value" }),
        "placeholder"
      )
      assert.include(yield* refusal({ SHOP_ENV: "production", JWT_SECRET: "ab".repeat(24) }), "variety")
      yield* startGateway({ SHOP_ENV: "production", JWT_SECRET: generated() }).pipe(Effect.scoped)
    }))

  it.live("HS256 next to a JWKS needs its own secret, in every environment", () =>
    Effect.gen(function*() {
      const jwks = { JWT_JWKS_URL: "http://127.0.0.1:1/jwks.json", JWT_ALGORITHMS: "RS256,HS256" }
      for (const environment of ["development", "production"]) {
        const message = yield* refusal({ SHOP_ENV: environment, JWT_SECRET: "", ...jwks })
        assert.include(message, "HS256 next to JWT_JWKS_URL", environment)
      }
      // A JWKS alone (RS256/ES256) is a complete production setup.
      yield* startGateway({ SHOP_ENV: "production", JWT_SECRET: "", JWT_JWKS_URL: jwks.JWT_JWKS_URL }).pipe(
        Effect.scoped
      )
    }))

  it("the real gateway process exits at start-up with the reason on its log", async () => {
    const adminPort = await freePort()
    const child = spawn(process.execPath, [join(root, "packages/gateway/src/main.ts")], {
      cwd: root,
      env: {
        ...process.env,
        SHOP_ENV: "production",
        JWT_SECRET: "shop-mesh-development-secret-change-me",
        HTTP_PORT: String(await freePort()),
        ADMIN_PORT: String(adminPort)
      },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    const code = await new Promise<number | null>((done) => child.once("exit", done))
    assert.notStrictEqual(code, 0, output)
    assert.include(output, "refusing to start: JWT_SECRET is a secret published in the Shop Mesh repository")
  }, 30_000)
})

describe("the list of published secrets", () => {
  it("holds every JWT secret written anywhere in the repository", () => {
    const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
      cwd: root,
      encoding: "utf8"
    }).split("\n")
      .filter((file) => /\.(ts|ya?ml|md|json|sh)$|(^|\/)(Makefile|Dockerfile|\.env[^/]*)$/.test(file))
      // this file's own values are examples of what production refuses
      .filter((file) => !file.endsWith("ProductionSecrets.test.ts"))
    const found = new Set<string>()
    for (const file of files) {
      let text: string
      try {
        text = readFileSync(join(root, file), "utf8")
      } catch {
        continue // listed by git but deleted in the work tree
      }
      // values given to JWT_SECRET / jwt-secret in YAML, env files and shell lines
      for (const match of text.matchAll(/(?:JWT_SECRET|jwt-secret)["']?\s*[:=]\s*["']?([^\s"'`,]+)/g)) {
        // skip references and patterns: a spread, an interpolation, a variable, a regular expression, a call
        const value = match[1]!
        if (!/^(\.\.\.|\$|\\|secret\b|testSecret\b|process\.env)/.test(value) && !value.includes("(")) found.add(value)
      }
      // secret-looking string literals in code
      for (const match of text.matchAll(/["'`]([\w.+/=-]{24,})["'`]/g)) {
        const value = match[1]!.replace(/^JWT_SECRET=/, "")
        if (/secret/i.test(match[1]!) && !value.endsWith(".ts")) found.add(value)
      }
    }
    assert.isAbove(found.size, 2, "the scan found the compose and overlay secrets")
    const unlisted = [...found].filter((value) => !PublishedSecrets.includes(value))
    assert.deepStrictEqual(unlisted, [], "add these to PublishedSecrets (SigningSecretPolicy.ts), or remove them")
  })
})
