import { assert, describe, it } from "@effect/vitest"
import { Topology } from "@shop/service-defaults/Topology"
import { existsSync } from "node:fs"
import { parse } from "yaml"
import {
  build,
  containerPortNames,
  hasKustomize,
  kustomizations,
  named,
  ofKind,
  podsSelectedBy,
  readBase,
  schemaErrors,
  selects
} from "./KubernetesManifests.ts"
import { envVarsReadByCode, type Json, readYaml, repoPath } from "./OpsAssets.ts"

const platform = ["gateway", "product", "order", "payment", "notification"] as const
const kustomize = hasKustomize()
// Without kubectl (outside CI only) the base is checked as written and the overlays are not built.
const builds: Array<[string, Array<Json>]> = kustomize
  ? kustomizations.map((dir) => [dir, build(dir)])
  : [["ops/k8s/base (unbuilt)", readBase()]]
const base = builds[0]![1]
/** Secrets a secret manager provides in production; the base carries their placeholder keys. */
const externalSecrets = new Set(["shop-secrets"])

const appDeployments = (manifests: ReadonlyArray<Json>) =>
  ofKind(manifests, "Deployment").filter((d) => d.metadata.labels?.["app.kubernetes.io/part-of"] === "shop-mesh")

describe("Kubernetes manifests", () => {
  it("every kustomization lists files that exist", () => {
    for (const dir of kustomizations) {
      const kustomization = readYaml(`${dir}/kustomization.yaml`) as Json
      const paths = [
        ...((kustomization.resources as Array<string> | undefined) ?? []),
        ...((kustomization.patches as Array<Json> | undefined) ?? []).flatMap((patch) => patch.path ? [patch.path] : [])
      ]
      assert.isAbove(paths.length, 0, dir)
      for (const path of paths) assert.isTrue(existsSync(repoPath(dir, path)), `${dir}: ${path} does not exist`)
      assert.strictEqual(kustomization.namespace, "ecommerce", dir)
    }
  })

  it("every manifest of every build is valid against the Kubernetes schemas", async () => {
    for (const [dir, manifests] of builds) {
      for (const manifest of manifests) {
        const errors = await schemaErrors(manifest)
        assert.strictEqual(errors, "", `${dir}: ${manifest.kind}/${manifest.metadata?.name}`)
        if (manifest.kind !== "Namespace") assert.strictEqual(manifest.metadata.namespace, "ecommerce")
      }
    }
    // the validator rejects a malformed manifest
    const broken = structuredClone(named(base, "Deployment", "product")!)
    broken.spec.template.spec.containers[0].ports[0].containerPort = "50051"
    assert.notStrictEqual(await schemaErrors(broken), "")
    assert.notStrictEqual(await schemaErrors({ apiVersion: "apps/v1", kind: "Deploymnet", metadata: {} }), "")
  })

  it("deploys every service with probes on the admin port, limits, a locked-down container and a graceful stop", () => {
    for (const [dir, manifests] of builds) {
      const deployments = appDeployments(manifests)
      assert.deepStrictEqual(deployments.map((d) => d.metadata.name).toSorted(), [...platform].toSorted(), dir)
      for (const deployment of deployments) {
        const name = deployment.metadata.name as (typeof platform)[number]
        const pod = deployment.spec.template.spec
        const [container] = pod.containers as Array<Json>
        const where = `${dir}: ${name}`
        const admin = (container!.ports as Array<Json>).find((port) => port.name === "admin")
        assert.strictEqual(admin?.containerPort, Topology[name].adminPort, where)
        assert.deepStrictEqual(container!.livenessProbe.httpGet, { path: "/healthz", port: "admin" }, where)
        assert.deepStrictEqual(container!.readinessProbe.httpGet, { path: "/readyz", port: "admin" }, where)
        assert.deepStrictEqual(container!.startupProbe.httpGet, { path: "/healthz", port: "admin" }, where)
        for (const key of ["requests", "limits"]) {
          assert.property(container!.resources[key], "cpu", where)
          assert.property(container!.resources[key], "memory", where)
        }
        assert.strictEqual(pod.securityContext.runAsNonRoot, true, where)
        assert.strictEqual(container!.securityContext.readOnlyRootFilesystem, true, where)
        assert.strictEqual(container!.securityContext.allowPrivilegeEscalation, false, where)
        assert.deepStrictEqual(container!.securityContext.capabilities.drop, ["ALL"], where)
        assert.isDefined(container!.lifecycle?.preStop, where)
        // preStop + the gRPC drain (GRPC_SHUTDOWN_TIMEOUT, 10 s by default) must fit in the grace period
        assert.isAtLeast(pod.terminationGracePeriodSeconds, 20, where)
        const env = new Map((container!.env as Array<Json>).map((e) => [e.name as string, e]))
        assert.strictEqual(env.get("ADMIN_PORT")?.value, String(Topology[name].adminPort), where)
        if (name !== "gateway") {
          const grpc = (container!.ports as Array<Json>).find((port) => port.name === "grpc")
          assert.strictEqual(grpc?.containerPort, Topology[name].grpcPort, where)
          assert.strictEqual(env.get("GRPC_PORT")?.value, String(Topology[name].grpcPort), where)
        }
      }
    }
  })

  it("Services select their Deployment's pods, on ports the containers name, at the addresses the config uses", () => {
    for (const [dir, manifests] of builds) {
      for (const service of ofKind(manifests, "Service")) {
        const pods = podsSelectedBy(manifests, service.spec.selector)
        assert.lengthOf(pods, 1, `${dir}: Service ${service.metadata.name} selects ${pods.length} Deployments`)
        for (const port of service.spec.ports as Array<Json>) {
          if (typeof port.targetPort === "string") {
            assert.isTrue(containerPortNames(pods[0]!).has(port.targetPort), `${service.metadata.name}:${port.name}`)
          }
        }
      }
      const config = named(manifests, "ConfigMap", "shop-config")!.data as Record<string, string>
      for (
        const [key, peer] of [
          ["PRODUCT_GRPC_ADDR", "product"],
          ["ORDER_GRPC_ADDR", "order"],
          ["PAYMENT_GRPC_ADDR", "payment"],
          ["NOTIFICATION_GRPC_ADDR", "notification"]
        ] as const
      ) {
        // dns:/// + a headless Service: clients see every pod and balance call by call.
        assert.strictEqual(config[key], `dns:///${peer}:${Topology[peer].grpcPort}`)
        assert.strictEqual(
          named(manifests, "Service", peer)!.spec.clusterIP,
          "None",
          `${dir}: Service ${peer} headless`
        )
        const port = (named(manifests, "Service", peer)!.spec.ports as Array<Json>).find((p) => p.name === "grpc")
        assert.strictEqual(port?.port, Topology[peer].grpcPort, `${dir}: Service ${peer}`)
      }
      const gateway = (named(manifests, "Service", "gateway")!.spec.ports as Array<Json>).find((p) => p.name === "http")
      assert.strictEqual(gateway?.port, Topology.gateway.httpPort)
    }
  })

  it("autoscales every service on CPU and memory from 2 to 10 pods, with a disruption budget", () => {
    for (const [dir, manifests] of builds) {
      for (const name of platform) {
        assert.notProperty(
          named(manifests, "Deployment", name)!.spec,
          "replicas",
          `${dir}: the HPA owns ${name}'s replicas`
        )
        const hpa = named(manifests, "HorizontalPodAutoscaler", name)
        assert.isDefined(hpa, `${dir}: no HPA for ${name}`)
        assert.strictEqual(hpa!.apiVersion, "autoscaling/v2")
        assert.deepStrictEqual(hpa!.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name })
        assert.isDefined(named(manifests, "Deployment", hpa!.spec.scaleTargetRef.name))
        assert.strictEqual(hpa!.spec.minReplicas, 2)
        assert.strictEqual(hpa!.spec.maxReplicas, 10)
        const resources = (hpa!.spec.metrics as Array<Json>).map((m) => m.resource.name as string).toSorted()
        assert.deepStrictEqual(resources, ["cpu", "memory"])
        const pdb = named(manifests, "PodDisruptionBudget", name)
        assert.lengthOf(podsSelectedBy(manifests, pdb?.spec.selector.matchLabels), 1, `${dir}: PDB ${name}`)
      }
    }
  })

  it("every ConfigMap and Secret reference resolves, and every variable set is one the code reads", () => {
    const read = envVarsReadByCode()
    const baseSecrets = new Map(ofKind(base, "Secret").map((s) => [s.metadata.name as string, s]))
    for (const [dir, manifests] of builds) {
      for (const deployment of appDeployments(manifests)) {
        const [container] = deployment.spec.template.spec.containers as Array<Json>
        for (const source of (container!.envFrom as Array<Json> | undefined) ?? []) {
          const map = named(manifests, "ConfigMap", source.configMapRef.name)
          assert.isDefined(map, `${dir}: ConfigMap ${source.configMapRef.name}`)
          for (const key of Object.keys(map!.data)) assert.isTrue(read.has(key), `${dir}: nothing reads ${key}`)
        }
        for (const env of container!.env as Array<Json>) {
          assert.isTrue(read.has(env.name), `${dir}: ${deployment.metadata.name} sets ${env.name}, nothing reads it`)
          const configRef = env.valueFrom?.configMapKeyRef
          if (configRef) assert.property(named(manifests, "ConfigMap", configRef.name)?.data ?? {}, configRef.key)
          const secretRef = env.valueFrom?.secretKeyRef
          if (secretRef) {
            const secret = named(manifests, "Secret", secretRef.name) ??
              (externalSecrets.has(secretRef.name) ? baseSecrets.get(secretRef.name) : undefined)
            assert.isDefined(secret, `${dir}: Secret ${secretRef.name}`)
            assert.property(secret!.stringData ?? secret!.data, secretRef.key, `${dir}: ${secretRef.name}`)
          }
        }
      }
    }
  })

  it("denies all traffic by default and opens exactly the service paths, on ports the pods name", () => {
    for (const [dir, manifests] of builds) {
      const policies = ofKind(manifests, "NetworkPolicy")
      const deny = named(manifests, "NetworkPolicy", "default-deny")
      assert.deepStrictEqual(deny?.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] })
      const allowed = new Set<string>()
      for (const policy of policies) {
        const targets = podsSelectedBy(manifests, policy.spec.podSelector.matchLabels ?? {})
        for (const rule of (policy.spec.ingress as Array<Json> | undefined) ?? []) {
          for (const port of (rule.ports as Array<Json> | undefined) ?? []) {
            if (typeof port.port !== "string") continue
            for (const target of targets) {
              assert.isTrue(containerPortNames(target).has(port.port), `${dir}: ${policy.metadata.name} ${port.port}`)
            }
          }
          for (const from of (rule.from as Array<Json> | undefined) ?? []) {
            for (const source of podsSelectedBy(manifests, from.podSelector?.matchLabels)) {
              for (const target of targets) allowed.add(`${source.metadata.name}->${target.metadata.name}`)
            }
          }
        }
        for (const rule of (policy.spec.egress as Array<Json> | undefined) ?? []) {
          for (const to of (rule.to as Array<Json> | undefined) ?? []) {
            const peers = podsSelectedBy(manifests, to.podSelector?.matchLabels)
            for (const port of (rule.ports as Array<Json> | undefined) ?? []) {
              if (typeof port.port !== "string") continue
              for (const peer of peers) {
                assert.isTrue(containerPortNames(peer).has(port.port), `${dir}: ${policy.metadata.name} ${port.port}`)
              }
            }
          }
        }
      }
      for (const path of ["gateway->product", "gateway->order", "order->product", "order->payment"]) {
        assert.isTrue(allowed.has(path), `${dir}: ${path} is not allowed in`)
      }
      for (const path of ["product->order", "notification->payment", "payment->order"]) {
        assert.isFalse(allowed.has(path), `${dir}: ${path} must stay closed`)
      }
      const scrape = named(manifests, "NetworkPolicy", "prometheus-scrapes-admin")!.spec
      assert.isTrue(selects(scrape.podSelector.matchLabels, { "app.kubernetes.io/part-of": "shop-mesh" }))
    }
  })

  it("exposes only the gateway through the Ingress", () => {
    for (const [dir, manifests] of builds) {
      const ingresses = ofKind(manifests, "Ingress")
      assert.lengthOf(ingresses, 1, dir)
      for (const rule of ingresses[0]!.spec.rules as Array<Json>) {
        for (const path of rule.http.paths as Array<Json>) {
          assert.deepStrictEqual(path.backend.service, { name: "gateway", port: { name: "http" } })
        }
      }
    }
  })

  it("the overlays build with kustomize: dev brings its infrastructure, prod its images and no placeholder secret", (ctx) => {
    if (!kustomize) return ctx.skip()
    const dev = builds.find(([dir]) => dir.endsWith("dev"))![1]
    for (
      const name of [
        "postgres",
        "redis",
        "kafka",
        "otel-collector",
        "jaeger",
        "mailpit",
        "payment-simulator",
        "sms-simulator"
      ]
    ) {
      assert.isDefined(named(dev, "Deployment", name), `dev: ${name}`)
      assert.isDefined(named(dev, "Service", name), `dev: Service ${name}`)
    }
    const prod = builds.find(([dir]) => dir.endsWith("prod"))![1]
    assert.isUndefined(named(prod, "Secret", "shop-secrets"))
    for (const deployment of appDeployments(prod)) {
      const image = deployment.spec.template.spec.containers[0].image as string
      assert.match(image, /^registry\.example\.com\/shop-mesh\/[a-z]+:\d+\.\d+\.\d+$/)
    }
    assert.isDefined(ofKind(prod, "Ingress")[0]!.spec.tls)
  })

  it("dev: traces go through the collector to Jaeger 2, mail to Mailpit and SMS to the simulator", (ctx) => {
    if (!kustomize) return ctx.skip()
    const dev = builds.find(([dir]) => dir.endsWith("dev"))![1]
    const config = named(dev, "ConfigMap", "shop-config")!.data as Record<string, string>
    const endpoint = (url: string) => {
      const { hostname, port } = new URL(url)
      const service = named(dev, "Service", hostname)
      assert.isDefined(service, `no Service ${hostname}`)
      assert.include((service!.spec.ports as Array<Json>).map((p) => p.port), Number(port), url)
    }
    const smtpUrl = named(dev, "Secret", "shop-secrets")!.stringData["smtp-url"] as string
    endpoint(config.OTEL_EXPORTER_OTLP_ENDPOINT!)
    endpoint(smtpUrl)
    endpoint(config.SMS_PROVIDER_URL!)
    assert.strictEqual(new URL(smtpUrl).hostname, "mailpit")
    // every overlay gives the notification service its mail server: production refuses to start without one
    for (const [dir, manifests] of builds) {
      const [container] = named(manifests, "Deployment", "notification")!.spec.template.spec.containers as Array<Json>
      const smtp = (container!.env as Array<Json>).find((e) => e.name === "SMTP_URL")
      assert.deepStrictEqual(smtp?.valueFrom?.secretKeyRef, { name: "shop-secrets", key: "smtp-url" }, dir)
    }
    assert.strictEqual(new URL(config.OTEL_EXPORTER_OTLP_ENDPOINT!).hostname, "otel-collector")
    // the same collector and Jaeger configuration as compose's
    const configOf = (map: string) => parse(named(dev, "ConfigMap", map)!.data["config.yml"]) as unknown
    assert.deepStrictEqual(configOf("otel-collector-config"), readYaml("ops/otel-collector/config.yml"))
    assert.deepStrictEqual(configOf("jaeger-config"), readYaml("ops/jaeger/config.yml"))
    const jaeger = named(dev, "Deployment", "jaeger")!.spec.template.spec.containers[0].image as string
    assert.match(jaeger, /^jaegertracing\/jaeger:2\./)
    // notification may reach them
    const egress = ofKind(dev, "NetworkPolicy").filter((p) =>
      selects(p.spec.podSelector.matchLabels, { "app.kubernetes.io/name": "notification" }) &&
      (p.spec.policyTypes as Array<string>).includes("Egress")
    ).flatMap((p) => p.spec.egress as Array<Json>)
    for (const target of ["mailpit", "sms-simulator"]) {
      assert.isTrue(
        egress.some((rule) =>
          (rule.to as Array<Json>).some((to) => to.podSelector?.matchLabels?.["app.kubernetes.io/name"] === target)
        ),
        `notification -> ${target} is not allowed out`
      )
    }
  })
})
