import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Json, readText, readYaml, repoPath, requireTool, run } from "./OpsAssets.ts"

const makefile = readText("Makefile")
const compose = readYaml("docker-compose.yml") as Json
const services = compose.services as Record<string, Json>

/** The `VAR ?= value` defaults of the Makefile. */
const defaults = Object.fromEntries(
  [...makefile.matchAll(/^([A-Z_]+) \?= (.+)$/gm)].map((m) => [m[1]!, m[2]!.trim()])
)
const publishes = (service: string, port: number) =>
  ((services[service]!.ports ?? []) as Array<string>).some((mapping) => mapping.split(":")[0] === String(port))

describe("Makefile", () => {
  it("lists its targets, the spec's among them", (ctx) => {
    if (!requireTool("make", ["--version"])) return ctx.skip()
    const help = run("make", ["-s", "help"])
    assert.strictEqual(help.status, 0, help.output)
    for (const target of ["migrate-up", "seed", "run-all", "infra-up", "kafka-mock", "test"]) {
      assert.match(help.output, new RegExp(`make ${target} +\\S`), target)
    }
    assert.notInclude(help.output, "postgres:postgres@", "make help prints no credentials")
  })

  it("targets compose's infrastructure by default: its published ports and development credentials", () => {
    const postgres = new URL(defaults.POSTGRES_URL!)
    const env = services.postgres!.environment as Record<string, string>
    assert.strictEqual(postgres.username, env.POSTGRES_USER)
    assert.strictEqual(postgres.password, env.POSTGRES_PASSWORD)
    assert.isTrue(publishes("postgres", Number(postgres.port)))
    assert.isTrue(publishes("redis", Number(new URL(defaults.REDIS_URL!).port)))
    const kafka = services.kafka!.environment as Record<string, string>
    const [, kafkaPort] = defaults.KAFKA_BROKERS!.split(":")
    assert.isTrue(publishes("kafka", Number(kafkaPort)))
    assert.include(kafka.KAFKA_ADVERTISED_LISTENERS, `localhost:${kafkaPort}`, "the host listener is advertised")
    assert.isTrue(publishes("otel-collector", Number(new URL(defaults.OTEL_EXPORTER_OTLP_ENDPOINT!).port)))
    assert.isTrue(publishes("mailpit", Number(new URL(defaults.SMTP_URL!).port)))
    const infrastructure = /^INFRASTRUCTURE = (.+)$/m.exec(makefile)![1]!.split(" ")
    for (const name of infrastructure) assert.property(services, name, `make infra-up starts ${name}`)
    for (const name of ["postgres", "redis", "kafka", "otel-collector", "mailpit"]) {
      assert.include(infrastructure, name)
    }
  })

  it("run-all runs the launcher distributed with every address, each overridable on the command line", (ctx) => {
    if (!requireTool("make", ["--version"])) return ctx.skip()
    const dry = run("make", ["-n", "run-all", "KAFKA_BROKERS=127.0.0.1:40123"])
    assert.strictEqual(dry.status, 0, dry.output)
    assert.include(dry.output, "scripts/check-infrastructure.ts postgres kafka")
    assert.include(dry.output, "npm start")
    // what the recipes see: the defaults, a command-line override, and the environment's value
    const probe = join(mkdtempSync(join(tmpdir(), "make-")), "probe.mk")
    writeFileSync(
      probe,
      `include ${repoPath("Makefile")}\nprobe:\n\t@env | grep -E '^(POSTGRES_URL|KAFKA_BROKERS|SMTP_URL)=' | sort\n`
    )
    const { POSTGRES_URL: _unset, ...environment } = process.env
    const seen = spawnSync("make", ["-s", "-f", probe, "probe", "KAFKA_BROKERS=127.0.0.1:40123"], {
      encoding: "utf8",
      env: { ...environment, SMTP_URL: "smtp://127.0.0.1:2500" }
    })
    assert.deepStrictEqual(seen.stdout.trim().split("\n"), [
      "KAFKA_BROKERS=127.0.0.1:40123",
      `POSTGRES_URL=${defaults.POSTGRES_URL}`,
      "SMTP_URL=smtp://127.0.0.1:2500"
    ])
  })
})
