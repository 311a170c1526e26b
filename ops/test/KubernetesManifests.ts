/**
 * Loads the Kubernetes manifests the way `kubectl apply -k` would see them, and validates them against the
 * Kubernetes OpenAPI schemas shipped in the kubernetes-models package.
 */
import { parseAllDocuments } from "yaml"
import { type Json, readYaml, readYamlDocuments, requireTool, run } from "./OpsAssets.ts"

export const kustomizations = ["ops/k8s/base", "ops/k8s/overlays/dev", "ops/k8s/overlays/prod"] as const

/** Whether `kubectl kustomize` can build the overlays here (kubectl embeds kustomize). */
export const hasKustomize = (): boolean => requireTool("kubectl", ["version", "--client"])

/** The rendered manifests of a kustomization, by `kubectl kustomize`. */
export const build = (dir: string): Array<Json> => {
  const result = run("kubectl", ["kustomize", dir])
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${result.output}`)
  return parseAllDocuments(result.output.slice(0, result.output.lastIndexOf("\n") + 1)).map((doc) => doc.toJS() as Json)
    .filter((doc) => doc !== null)
}

/** The base without kustomize: its resources as written, in the kustomization's namespace. */
export const readBase = (): Array<Json> => {
  const kustomization = readYaml("ops/k8s/base/kustomization.yaml") as Json
  return (kustomization.resources as Array<string>).flatMap((file) =>
    readYamlDocuments(`ops/k8s/base/${file}`).map((doc) => {
      const manifest = doc as Json
      if (manifest.kind !== "Namespace") manifest.metadata.namespace = kustomization.namespace
      return manifest
    })
  )
}

const modelModule = (apiVersion: string): string => {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion]
  return group === "" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`
}

/** Schema errors of one manifest ("" when valid); an unknown apiVersion/kind is an error too. */
export const schemaErrors = async (manifest: Json): Promise<string> => {
  let models: Record<string, unknown>
  try {
    models = await import(modelModule(manifest.apiVersion)) as Record<string, unknown>
  } catch {
    return `unknown apiVersion ${manifest.apiVersion}`
  }
  const Model = models[manifest.kind] as (new(data: unknown) => { validate(): void }) | undefined
  if (Model === undefined) return `unknown kind ${manifest.apiVersion}/${manifest.kind}`
  try {
    new Model(manifest).validate()
    return ""
  } catch (error) {
    return String(error)
  }
}

export const ofKind = (manifests: ReadonlyArray<Json>, kind: string): Array<Json> =>
  manifests.filter((manifest) => manifest.kind === kind)

export const named = (manifests: ReadonlyArray<Json>, kind: string, name: string): Json | undefined =>
  manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name)

/** Whether every pair of `selector` is among `labels`. */
export const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  selector !== undefined && Object.entries(selector).every(([key, value]) => labels?.[key] === value)

export const podsSelectedBy = (manifests: ReadonlyArray<Json>, selector: Record<string, string> | undefined) =>
  ofKind(manifests, "Deployment").filter((deployment) =>
    selects(selector, deployment.spec.template.metadata.labels as Record<string, string>)
  )

export const containerPortNames = (deployment: Json): Set<string> =>
  new Set(
    (deployment.spec.template.spec.containers as Array<Json>).flatMap((container) =>
      ((container.ports as Array<Json> | undefined) ?? []).map((port) => port.name as string)
    )
  )
