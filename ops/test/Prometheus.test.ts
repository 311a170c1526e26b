import { assert, describe, it } from "@effect/vitest"
import { Topology } from "@shop/service-defaults/Topology"
import { readdirSync } from "node:fs"
import {
  exportedSeries,
  type Json,
  promqlMetricNames,
  readText,
  readYaml,
  readYamlDocuments,
  recordingRules,
  repoPath,
  requireTool,
  run,
  unknownMetrics
} from "./OpsAssets.ts"

const ruleFiles = readdirSync(repoPath("ops/prometheus/rules")).map((file) => `ops/prometheus/rules/${file}`)
const rules = ruleFiles.flatMap((file) =>
  ((readYaml(file) as Json).groups as Array<Json>).flatMap((group) => group.rules as Array<Json>)
)
const alerts = new Map(rules.filter((rule) => rule.alert).map((rule) => [rule.alert as string, rule]))
const services = ["gateway", "product", "order", "payment", "notification"] as const

describe("Prometheus configuration", () => {
  it("scrapes every service's admin port, under the service's name as job", () => {
    const config = readYaml("ops/prometheus/prometheus.yml") as Json
    const jobs = new Map((config.scrape_configs as Array<Json>).map((job) => [job.job_name as string, job]))
    for (const service of services) {
      const job = jobs.get(service)
      assert.isDefined(job, `no scrape job for ${service}`)
      assert.strictEqual(job!.metrics_path ?? "/metrics", "/metrics")
      const targets = (job!.static_configs as Array<Json>).flatMap((c) => c.targets as Array<string>)
      assert.deepStrictEqual(targets, [`${service}:${Topology[service].adminPort}`])
      // a target label `service` would rename the gRPC metrics' own `service` label to exported_service
      for (const c of job!.static_configs as Array<Json>) assert.notProperty(c.labels ?? {}, "service")
    }
    assert.deepStrictEqual(config.rule_files, ["rules/*.yml"])
  })

  it("has the alerts the runbook relies on, each with a severity and a summary", () => {
    const required = [
      "CheckoutSuccessBudgetBurnFast",
      "CheckoutSuccessBudgetBurnMedium",
      "CheckoutSuccessBudgetBurnSlow",
      "CheckoutLatencyBudgetBurnFast",
      "CheckoutLatencyBudgetBurnMedium",
      "CheckoutLatencyBudgetBurnSlow",
      "EventConsumerLagHigh",
      "DeadLettersIncreasing",
      "StockFoldFailing",
      "CircuitBreakerOpen",
      "ServiceDown"
    ]
    for (const name of required) assert.isTrue(alerts.has(name), `missing alert ${name}`)
    for (const [name, alert] of alerts) {
      assert.include(["critical", "warning"], alert.labels?.severity, `${name} severity`)
      assert.isString(alert.annotations?.summary, `${name} summary`)
    }
  })

  it("links every alert to its runbook, a section of ops/runbooks.md", () => {
    // GitHub's anchors: the heading in lower case, spaces as dashes, punctuation dropped
    const anchors = new Set(
      [...readText("ops/runbooks.md").matchAll(/^#{2,3} (.+)$/gm)].map((m) =>
        m[1]!.trim().toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-")
      )
    )
    for (const [name, alert] of alerts) {
      const url = alert.annotations?.runbook_url as string | undefined
      assert.isString(url, `${name} has no runbook_url`)
      const [path, anchor] = url!.split("#")
      assert.strictEqual(path, "ops/runbooks.md", name)
      assert.isTrue(anchors.has(anchor!), `${name}: ops/runbooks.md has no section #${anchor}`)
      assert.include(readText("ops/runbooks.md"), name.replace(/(Fast|Medium|Slow|Chronic)$/, ""), name)
    }
  })

  it("burn-rate alerts pair a long and a short window over the SLO's own series", () => {
    const fast = alerts.get("CheckoutSuccessBudgetBurnFast")!.expr as string
    assert.deepStrictEqual([...promqlMetricNames(fast)].toSorted(), [
      "slo:checkout_failed:ratio_rate1h",
      "slo:checkout_failed:ratio_rate5m"
    ])
    const latency = recordingRules().get("slo:checkout_slow:ratio_rate1h")!
    assert.include(latency, `route="/api/v1/orders"`)
    assert.include(latency, `method="POST"`)
    assert.include(latency, `le="0.1"`)
    const success = recordingRules().get("slo:checkout_failed:ratio_rate1h")!
    assert.deepStrictEqual([...promqlMetricNames(success)].toSorted(), [
      "orders_confirmed_total",
      "orders_failed_total"
    ])
  })

  it("every rule queries only metrics the services export (or recording rules)", () => {
    const recorded = new Set(recordingRules().keys())
    const unknown = unknownMetrics(rules.map((rule) => rule.expr as string), { exported: exportedSeries(), recorded })
    assert.deepStrictEqual(unknown, [])
    // and the check itself catches a metric nobody exports
    assert.deepStrictEqual(
      unknownMetrics(["sum(rate(checkout_attempts_total[5m])) / sum(rate(grpc_server_handled_total[5m]))"], {
        exported: exportedSeries(),
        recorded
      }),
      ["checkout_attempts_total"]
    )
  })

  it("in Kubernetes, scrapes the annotated pods' admin ports under their app name as job", () => {
    const config = readYaml("ops/prometheus/prometheus-kubernetes.yml") as Json
    assert.deepStrictEqual(config.rule_files, ["rules/*.yml"])
    const [job] = config.scrape_configs as Array<Json>
    assert.deepStrictEqual(job!.kubernetes_sd_configs[0].namespaces.names, ["ecommerce"])
    const relabel = job!.relabel_configs as Array<Json>
    const keep = relabel.find((r) => r.action === "keep")
    assert.deepStrictEqual(keep?.source_labels, ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"])
    const jobLabel = relabel.find((r) => r.target_label === "job")
    assert.deepStrictEqual(jobLabel?.source_labels, ["__meta_kubernetes_pod_label_app_kubernetes_io_name"])
    const address = relabel.find((r) => r.target_label === "__address__")!
    assert.strictEqual("10.0.0.7:50051;9101".replace(new RegExp(`^${address.regex}$`), "$1:$2"), "10.0.0.7:9101")
    for (const service of services) {
      const [deployment] = readYamlDocuments(`ops/k8s/base/${service}.yaml`) as Array<Json>
      const annotations = deployment!.spec.template.metadata.annotations
      assert.strictEqual(annotations["prometheus.io/scrape"], "true")
      assert.strictEqual(annotations["prometheus.io/port"], String(Topology[service].adminPort))
      assert.strictEqual(deployment!.spec.template.metadata.labels["app.kubernetes.io/name"], service)
    }
  })

  it("promtool accepts the configuration and the rules, and the alert unit tests pass", (ctx) => {
    if (!requireTool("promtool")) return ctx.skip()
    const config = run("promtool", ["check", "config", "ops/prometheus/prometheus.yml"])
    assert.strictEqual(config.status, 0, config.output)
    const checked = run("promtool", ["check", "rules", ...ruleFiles])
    assert.strictEqual(checked.status, 0, checked.output)
    const tested = run("promtool", ["test", "rules", "ops/prometheus/tests/alerts.test.yml"])
    assert.strictEqual(tested.status, 0, tested.output)
  })
})
