import { defineConfig } from "vitest/config"

const packages = ["domain", "service-defaults", "product", "order", "payment", "notification", "gateway"]

export default defineConfig({
  test: {
    projects: packages.map((name) => ({
      test: {
        name,
        root: `packages/${name}`,
        include: ["test/**/*.test.ts"],
        testTimeout: 60_000,
        hookTimeout: 120_000
      }
    }))
  }
})
