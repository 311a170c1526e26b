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

export default defineConfig({
  test: {
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
