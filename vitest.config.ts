import { availableParallelism } from "node:os"
import { resolve } from "node:path"
import { defineConfig } from "vitest/config"

const root = import.meta.dirname

const packages = [
  "domain",
  "service-defaults",
  "product",
  "order",
  "payment",
  "notification",
  "gateway",
  "storefront",
  "sdk"
]

// Test files that measure latency and compare it with a baseline they took a moment before: they run after every
// other file, one at a time, so that a neighbour starting a platform of its own cannot pass for what they measure.
const alone: Record<string, ReadonlyArray<string>> = {
  gateway: ["test/RedisOutage.integration.test.ts"]
}

export default defineConfig({
  test: {
    // Two test files at a time at least: Vitest's default (cores - 1) is one on a two-core machine, and most of a
    // platform test's time is waiting on the processes it started, so a second file uses what the first leaves idle
    // (on two cores, with coverage: 552 s for the whole suite instead of about 800 s). The files are written to run
    // side by side, as they do on a machine with more cores: a database per test, free ports or a port offset of
    // their own, their own Redis key prefixes and temporary folders.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // `npm test -- --coverage` (what CI runs): coverage of the services' source, entry points and migrations
    // excluded; below 70 % of lines the run fails.
    coverage: {
      provider: "v8",
      include: ["packages/*/src/**/*.ts"],
      // The storefront runs in the browser: its code is exercised by the browser tests, outside these processes.
      exclude: [
        "packages/*/src/main.ts",
        "packages/*/src/**/main.ts",
        "packages/*/src/migrations/**",
        "packages/storefront/**"
      ],
      reporter: ["text-summary", "json-summary"],
      thresholds: { lines: 70 }
    },
    projects: [
      ...packages.map((name) => ({
        test: {
          name,
          root: `packages/${name}`,
          include: ["test/**/*.test.ts"],
          exclude: ["**/node_modules/**", ...(alone[name] ?? [])],
          testTimeout: 60_000,
          hookTimeout: 120_000
        }
      })),
      ...Object.entries(alone).map(([name, files]) => ({
        test: {
          name: `${name}:alone`,
          root: `packages/${name}`,
          include: [...files],
          sequence: { groupOrder: 1 },
          maxWorkers: 1,
          testTimeout: 60_000,
          hookTimeout: 120_000
        }
      })),
      // The operations assets (compose, Kubernetes, Prometheus, Grafana, Dockerfile) and the platform-wide tests that
      // check them from outside: next to what they check.
      {
        test: { name: "ops", root: "ops", include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 120_000 }
      },
      // The chaos checker drives the whole platform from outside: it belongs to no package.
      { test: { name: "chaos", root: "tests/chaos", include: ["**/*.test.ts"], testTimeout: 60_000 } },
      // the benchmarks' own machinery and the k6 scripts (k6's modules replaced by stand-ins that record requests)
      {
        resolve: {
          alias: [
            { find: /^k6$/, replacement: resolve(root, "tests/load/k6/test/stubs/k6.ts") },
            { find: /^k6\/http$/, replacement: resolve(root, "tests/load/k6/test/stubs/http.ts") }
          ]
        },
        test: {
          name: "tooling",
          root: ".",
          include: ["bench/test/**/*.test.ts", "scripts/test/**/*.test.ts", "tests/load/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000
        }
      }
    ]
  }
})
