import { assert, describe, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import {
  exportedSeries,
  type Json,
  readText,
  readYaml,
  recordingRules,
  repoPath,
  sourceFiles,
  unknownMetrics
} from "./OpsAssets.ts"

const dashboardFiles = readdirSync(repoPath("ops/grafana/dashboards")).filter((file) => file.endsWith(".json"))
const dashboards = dashboardFiles.map((file) => ({
  file,
  json: JSON.parse(readText(`ops/grafana/dashboards/${file}`)) as Json
}))
const datasources = (readYaml("ops/grafana/provisioning/datasources/datasources.yml") as Json).datasources as Array<
  Json
>

const panelsOf = (dashboard: Json): Array<Json> =>
  (dashboard.panels as Array<Json>).flatMap((panel) => [panel, ...((panel.panels as Array<Json> | undefined) ?? [])])
const targetsOf = (dashboard: Json): Array<{ panel: Json; target: Json }> =>
  panelsOf(dashboard).flatMap((panel) =>
    ((panel.targets as Array<Json> | undefined) ?? []).map((target) => ({
      panel,
      target
    }))
  )
const promExprs = (dashboard: Json) =>
  targetsOf(dashboard).filter(({ target }) => target.datasource?.type === "prometheus").map(({ target }) =>
    target.expr as string
  )

describe("Grafana provisioning", () => {
  it("provisions Prometheus and Jaeger by the compose service names, Prometheus as default", () => {
    const byType = new Map(datasources.map((source) => [source.type as string, source]))
    assert.strictEqual(byType.get("prometheus")?.url, "http://prometheus:9090")
    assert.strictEqual(byType.get("prometheus")?.isDefault, true)
    assert.strictEqual(byType.get("jaeger")?.url, "http://jaeger:16686")
    const provider = (readYaml("ops/grafana/provisioning/dashboards/dashboards.yml") as Json).providers[0]
    assert.strictEqual(provider.options.path, "/var/lib/grafana/dashboards")
  })

  it("has the overview, service and business dashboards, with unique uids", () => {
    assert.deepStrictEqual(dashboardFiles.toSorted(), ["business.json", "overview.json", "service.json"])
    const uids = dashboards.map(({ json }) => json.uid)
    assert.strictEqual(new Set(uids).size, uids.length)
  })

  it("every panel has a unique id, fits the 24-column grid and uses a provisioned data source", () => {
    const uids = new Set(datasources.map((source) => source.uid as string))
    for (const { file, json } of dashboards) {
      const panels = panelsOf(json)
      const ids = panels.map((panel) => panel.id)
      assert.strictEqual(new Set(ids).size, ids.length, `${file}: duplicate panel ids`)
      for (const panel of panels) {
        assert.isAtMost(panel.gridPos.x + panel.gridPos.w, 24, `${file}: ${panel.title} overflows the grid`)
        if (panel.type === "row" || panel.type === "text") continue
        assert.isTrue(uids.has(panel.datasource?.uid), `${file}: ${panel.title} uses ${panel.datasource?.uid}`)
        assert.isAbove(panel.targets.length, 0, `${file}: ${panel.title} has no query`)
      }
    }
  })

  it("every panel queries only metrics the services export (or recording rules)", () => {
    const known = { exported: exportedSeries(), recorded: new Set(recordingRules().keys()) }
    for (const { file, json } of dashboards) {
      const exprs = promExprs(json)
      assert.isAbove(exprs.length, 3, file)
      assert.deepStrictEqual(unknownMetrics(exprs, known), [], `${file} queries metrics nobody exports`)
    }
    // the check catches a panel on a metric nobody exports
    assert.deepStrictEqual(
      unknownMetrics(["histogram_quantile(0.99, sum by (le) (rate(db_query_duration_seconds_bucket[5m])))"], known),
      ["db_query_duration_seconds_bucket"]
    )
  })

  it("the overview covers rate, latency quantiles, errors and saturation", () => {
    const overview = promExprs(dashboards.find(({ file }) => file === "overview.json")!.json).join("\n")
    for (
      const needle of [
        "http_requests_total",
        "histogram_quantile(0.50",
        "histogram_quantile(0.95",
        "histogram_quantile(0.99",
        "status=~\"5..\"",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "nodejs_eventloop_lag_p99_seconds"
      ]
    ) assert.include(overview, needle)
  })

  it("dashboard variables are defined before panels use them", () => {
    for (const { file, json } of dashboards) {
      const defined = new Set(
        ((json.templating?.list as Array<Json> | undefined) ?? []).map((variable) => variable.name as string)
      )
      for (const expr of promExprs(json)) {
        for (const match of expr.matchAll(/\$([a-z][A-Za-z0-9_]*)/g)) {
          assert.isTrue(defined.has(match[1]!), `${file}: $${match[1]} is not a dashboard variable`)
        }
      }
    }
  })

  it("SQL panels read only tables and columns the order service's migrations create", () => {
    const migrations = sourceFiles().filter((file) => file.includes("/packages/order/src/migrations/")).map((file) =>
      readFileSync(file, "utf8")
    ).join("\n")
    const sqlTargets = dashboards.flatMap(({ json }) => targetsOf(json)).filter(({ target }) => target.rawSql)
    assert.isAbove(sqlTargets.length, 0)
    for (const { panel, target } of sqlTargets) {
      const sql = target.rawSql as string
      const aliases = new Map<string, string>()
      for (const match of sql.matchAll(/\b(?:FROM|JOIN)\s+([a-z_]+)\s+([a-z])\b/gi)) {
        const table = match[1]!
        const body = new RegExp(`CREATE TABLE ${table} \\(([\\s\\S]*?)\\n\\s*\\)`).exec(migrations)
        assert.isNotNull(body, `${panel.title}: no table ${table}`)
        aliases.set(match[2]!, body![1]!)
      }
      for (const match of sql.matchAll(/\b([a-z])\.([a-z_]+)\b/g)) {
        const columns = aliases.get(match[1]!)
        assert.isDefined(columns, `${panel.title}: unknown alias ${match[1]}`)
        assert.match(columns!, new RegExp(`\\n\\s*${match[2]} `), `${panel.title}: no column ${match[0]}`)
      }
    }
  })
})
