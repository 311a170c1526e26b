/**
 * What the operations assets are checked against: the repository's files, the metric names and environment
 * variables the code actually defines, and the command-line validators (promtool, kubectl, docker-compose).
 */
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { parseAllDocuments } from "yaml"

export const repoRoot = resolve(import.meta.dirname, "../..")
export const repoPath = (...parts: ReadonlyArray<string>) => join(repoRoot, ...parts)
export const readText = (path: string) => readFileSync(repoPath(path), "utf8")

/** Every YAML document of a file (merge keys `<<` resolved, as docker-compose does). */
export const readYamlDocuments = (path: string): Array<unknown> =>
  parseAllDocuments(readText(path), { merge: true }).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join("; ")}`)
    return doc.toJS({ maxAliasCount: 1000 }) as unknown
  }).filter((doc) => doc !== null && doc !== undefined)

export const readYaml = (path: string): unknown => {
  const [doc] = readYamlDocuments(path)
  return doc
}

/** A plain object view of parsed YAML/JSON, for assertions. */
export type Json = Record<string, any>

const walk = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : walk(path)
    return entry.name.endsWith(".ts") ? [path] : []
  })

/** Source files of every package (tests excluded): the code that runs in production. */
export const sourceFiles = (): Array<string> =>
  readdirSync(repoPath("packages")).flatMap((pkg) => {
    const src = repoPath("packages", pkg, "src")
    return existsSync(src) ? walk(src) : []
  })

const seriesOf = (kind: string, name: string): Array<string> => {
  switch (kind) {
    case "histogram":
    case "timer":
      return [`${name}_bucket`, `${name}_sum`, `${name}_count`]
    case "summary":
      return [name, `${name}_sum`, `${name}_count`]
    default:
      return [name]
  }
}

/**
 * The Prometheus series the services export: every `Metric.counter|gauge|histogram|summary|timer|frequency("name")`
 * in packages/*\/src, histograms expanded into their _bucket/_sum/_count series (Effect's exporter adds no suffix
 * to counters, so a counter is exported under exactly its name).
 */
export const exportedSeries = (files: ReadonlyArray<string> = sourceFiles()): Set<string> => {
  const series = new Set<string>()
  const pattern =
    /Metric\.(counter|gauge|histogram|summary|timer|frequency)\s*\(\s*["'`]([A-Za-z_:][A-Za-z0-9_:]*)["'`]/g
  for (const file of files) {
    for (const match of readFileSync(file, "utf8").matchAll(pattern)) {
      for (const name of seriesOf(match[1]!, match[2]!)) series.add(name)
    }
  }
  return series
}

/** Series every Prometheus has without any exporter. */
export const builtinSeries = new Set(["up", "scrape_duration_seconds", "scrape_samples_scraped"])

const promqlKeywords = new Set([
  "and",
  "or",
  "unless",
  "bool",
  "offset",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "inf",
  "nan",
  "start",
  "end"
])

/**
 * The metric names a PromQL expression selects: strings, label matchers, ranges, grouping clauses, numbers and
 * Grafana variables are removed first; what remains that is not a function call nor a keyword is a metric name.
 */
export const promqlMetricNames = (expr: string): Set<string> => {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, " ")
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, " ")
  const names = new Set<string>()
  for (const match of stripped.matchAll(/(?<![A-Za-z0-9_:.$])([A-Za-z_:][A-Za-z0-9_:]*)(?![A-Za-z0-9_:])(\s*\()?/g)) {
    const name = match[1]!
    if (match[2] !== undefined || promqlKeywords.has(name.toLowerCase())) continue
    names.add(name)
  }
  return names
}

/** Recording rules defined in ops/prometheus/rules, by name, with their expressions. */
export const recordingRules = (): Map<string, string> => {
  const rules = new Map<string, string>()
  for (const file of readdirSync(repoPath("ops/prometheus/rules"))) {
    const doc = readYaml(`ops/prometheus/rules/${file}`) as Json
    for (const group of doc.groups ?? []) {
      for (const rule of group.rules ?? []) if (rule.record) rules.set(rule.record, rule.expr)
    }
  }
  return rules
}

/** Names in `exprs` that no service exports and no recording rule defines. */
export const unknownMetrics = (
  exprs: ReadonlyArray<string>,
  known: { readonly exported: Set<string>; readonly recorded: ReadonlySet<string> }
): Array<string> => {
  const unknown = new Set<string>()
  for (const expr of exprs) {
    for (const name of promqlMetricNames(expr)) {
      if (!known.exported.has(name) && !known.recorded.has(name) && !builtinSeries.has(name)) unknown.add(name)
    }
  }
  return [...unknown].toSorted()
}

/**
 * Environment variables the code reads: upper-case string literals in source files that use Effect `Config`
 * (`Config.String("REDIS_URL")`, or a helper such as `duration("PROVIDER_RETRY_BASE", ...)`).
 */
export const envVarsReadByCode = (): Set<string> => {
  const names = new Set<string>()
  for (const file of sourceFiles()) {
    const text = readFileSync(file, "utf8")
    if (!/\bConfig\./.test(text)) continue
    for (const match of text.matchAll(/["']([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)["']/g)) names.add(match[1]!)
  }
  return names
}

/**
 * Whether a validator is installed. Under CI=true a missing one is a failure (CI must install it), elsewhere the
 * caller skips the check that needs it.
 */
export const requireTool = (command: string, versionArgs: ReadonlyArray<string> = ["--version"]): boolean => {
  const probe = spawnSync(command, versionArgs, { encoding: "utf8", timeout: 60_000 })
  const found = probe.error === undefined && probe.status === 0
  if (!found && process.env.CI === "true") {
    throw new Error(`${command} is required under CI=true (see README, Operations) but is not installed`)
  }
  return found
}

/** Runs a validator from the repository root; the combined output explains a failure. */
export const run = (command: string, args: ReadonlyArray<string>, cwd = repoRoot) => {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout: 120_000 })
  return { status: result.status, output: `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ?? ""}` }
}
