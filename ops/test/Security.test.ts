import { assert, describe, it } from "@effect/vitest"
import { build, hasKustomize, named, ofKind, readBase } from "./KubernetesManifests.ts"
import { type Json, readYaml, requireTool, run } from "./OpsAssets.ts"

const platform = ["gateway", "product", "order", "payment", "notification"] as const
const compose = readYaml("docker-compose.yml") as Json
const production = readYaml("docker-compose.production.yml") as Json
const envOf = (file: Json, name: string) => (file.services[name]?.environment ?? {}) as Record<string, string>

/** The host settings a service's listeners read; every one must be opened explicitly in a container. */
const listenerHosts: Record<(typeof platform)[number], ReadonlyArray<string>> = {
  gateway: ["HTTP_HOST", "ADMIN_HOST"],
  product: ["GRPC_HOST", "ADMIN_HOST"],
  order: ["GRPC_HOST", "ADMIN_HOST"],
  payment: ["GRPC_HOST", "ADMIN_HOST"],
  notification: ["ADMIN_HOST"]
}

describe("security settings of the deployments", () => {
  it("containers listen on every interface explicitly (the code defaults to loopback)", () => {
    for (const name of platform) {
      for (const key of listenerHosts[name]) assert.strictEqual(envOf(compose, name)[key], "0.0.0.0", `${name} ${key}`)
    }
    for (const name of platform) {
      const deployment = named(readBase(), "Deployment", name)!
      const env = new Map(
        (deployment.spec.template.spec.containers[0].env as Array<Json>).map((e) => [e.name, e.value])
      )
      for (const key of listenerHosts[name]) assert.strictEqual(env.get(key), "0.0.0.0", `k8s ${name} ${key}`)
    }
  })

  it("compose's production profile sets SHOP_ENV=production on every service and demands JWT_SECRET", () => {
    for (const name of platform) assert.strictEqual(envOf(production, name).SHOP_ENV, "production", name)
    assert.match(envOf(production, "gateway").JWT_SECRET!, /^\$\{JWT_SECRET:\?/)
    assert.strictEqual(envOf(production, "payment-simulator").SIMULATOR_ADMIN, "false")
    for (const name of platform) assert.notStrictEqual(envOf(compose, name).SHOP_ENV, "production", name)
  })

  it("docker-compose merges the production profile, and refuses it without JWT_SECRET", (ctx) => {
    if (!requireTool("docker-compose", ["version"])) return ctx.skip()
    const files = ["-f", "docker-compose.yml", "-f", "docker-compose.production.yml", "config"]
    const withSecret = run("env", ["JWT_SECRET=generated-elsewhere-4f9c1d7e2b8a", "docker-compose", ...files])
    assert.strictEqual(withSecret.status, 0, withSecret.output)
    assert.include(withSecret.output, "SHOP_ENV: production")
    const without = run("env", ["-u", "JWT_SECRET", "docker-compose", ...files])
    assert.notStrictEqual(without.status, 0, without.output)
    assert.include(without.output, "JWT_SECRET")
  })

  it("Kubernetes: production unless the dev overlay says otherwise; prod ships no secret value", (ctx) => {
    if (!hasKustomize()) return ctx.skip()
    const config = (dir: string) => named(build(dir), "ConfigMap", "shop-config")!.data as Record<string, string>
    assert.strictEqual(config("ops/k8s/base").SHOP_ENV, "production")
    assert.strictEqual(config("ops/k8s/overlays/prod").SHOP_ENV, "production")
    assert.strictEqual(config("ops/k8s/overlays/dev").SHOP_ENV, "development")
    const prod = build("ops/k8s/overlays/prod")
    assert.deepStrictEqual(ofKind(prod, "Secret").map((secret) => secret.metadata.name), [])
    for (const deployment of ofKind(prod, "Deployment")) {
      const [container] = deployment.spec.template.spec.containers as Array<Json>
      for (const env of (container!.env ?? []) as Array<Json>) {
        // secrets come by reference (secretKeyRef), never as a literal value in the manifests
        if (/SECRET|PASSWORD|KEY$/.test(env.name)) {
          assert.isUndefined(env.value, `${deployment.metadata.name} ${env.name}`)
        }
      }
    }
  })
})
