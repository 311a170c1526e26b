import { assert, describe, it } from "@effect/vitest"
import { edgesOf, ShopCallerPolicy } from "@shop/service-defaults/grpc/CallerPolicy"
import { fingerprint, PublishedKeyFingerprints } from "@shop/service-defaults/grpc/ServiceKeys"
import { execFileSync } from "node:child_process"
import { createPublicKey } from "node:crypto"
import { readFileSync } from "node:fs"
import { build, hasKustomize, named, ofKind, podsSelectedBy, readBase } from "./KubernetesManifests.ts"
import { type Json, readYaml, repoPath, repoRoot, requireTool, run } from "./OpsAssets.ts"

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

/** `source->target` for every pod pair a policy of `manifests` opens on the target's named gRPC port. */
const grpcPaths = (manifests: ReadonlyArray<Json>, direction: "ingress" | "egress") => {
  const paths = new Set<string>()
  for (const policy of ofKind(manifests, "NetworkPolicy")) {
    const selected = podsSelectedBy(manifests, policy.spec.podSelector.matchLabels ?? {})
    for (const rule of (policy.spec[direction] as Array<Json> | undefined) ?? []) {
      if (!((rule.ports as Array<Json> | undefined) ?? []).some((port) => port.port === "grpc")) continue
      const peers = ((rule[direction === "ingress" ? "from" : "to"] as Array<Json> | undefined) ?? [])
        .flatMap((peer) => podsSelectedBy(manifests, peer.podSelector?.matchLabels))
      for (const self of selected) {
        for (const peer of peers) {
          const [source, target] = direction === "ingress" ? [peer, self] : [self, peer]
          paths.add(`${source.metadata.name}->${target.metadata.name}`)
        }
      }
    }
  }
  return paths
}

describe("service identities in the deployments", () => {
  it("NetworkPolicies open exactly the gRPC edges of the caller policy, both ways (no gateway -> payment)", () => {
    const expected = [...edgesOf(ShopCallerPolicy)].toSorted()
    const manifests = readBase()
    assert.deepStrictEqual([...grpcPaths(manifests, "ingress")].toSorted(), expected)
    assert.deepStrictEqual([...grpcPaths(manifests, "egress")].toSorted(), expected)
    assert.notInclude(expected, "gateway->payment")
  })

  it("every service that calls or serves gRPC mounts its own private key and every public key", () => {
    for (const name of ["gateway", "product", "order", "payment", "notification"]) {
      const pod = named(readBase(), "Deployment", name)!.spec.template.spec
      const [container] = pod.containers as Array<Json>
      const env = new Map((container!.env as Array<Json>).map((e) => [e.name, e.value]))
      const mount = (container!.volumeMounts as Array<Json>).find((m) => m.name === "service-keys")
      assert.strictEqual(mount?.mountPath, env.get("SERVICE_KEYS_DIR"), name)
      assert.isTrue(mount?.readOnly, name)
      const sources = (pod.volumes as Array<Json>).find((v) => v.name === "service-keys")!.projected.sources
      const items = sources.find((source: Json) => source.secret !== undefined).secret.items as Array<Json>
      // its own private key and no other service's
      assert.deepStrictEqual(items.map((item) => item.key), [`${name}.key`], name)
      assert.strictEqual(
        sources.find((source: Json) => source.configMap !== undefined).configMap.name,
        "shop-service-public-keys"
      )
      assert.strictEqual(pod.securityContext.fsGroup, 1000, name)
    }
  })

  it("production refuses every service key published in the repository", () => {
    const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
      cwd: repoRoot,
      encoding: "utf8"
    }).split("\n")
      .filter((file) => file !== "")
    const published = files.flatMap((file) => {
      let text = ""
      try {
        text = readFileSync(repoPath(file), "utf8")
      } catch {
        return []
      }
      const keys = text.match(/-----BEGIN (PUBLIC|PRIVATE) KEY-----[\s\S]+?-----END \1 KEY-----/g) ?? []
      // a PEM inside YAML is indented
      return keys.map((pem) => ({ file, fingerprint: fingerprint(createPublicKey(pem.replace(/\n\s+/g, "\n"))) }))
    })
    assert.isAtLeast(published.length, 8, "the dev overlay's keys")
    for (const key of published) assert.isTrue(PublishedKeyFingerprints.has(key.fingerprint), key.file)
  })
})
