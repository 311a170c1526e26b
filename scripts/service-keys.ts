/**
 * `npm run service-keys -- --out <dir>`: makes a fresh set of service keys for a deployment (one Ed25519 key pair
 * per service that calls or serves gRPC: gateway, product, order, payment, notification) and prints how to hand them to
 * Kubernetes or compose. Existing files are never overwritten. Production services never create keys themselves;
 * they refuse to start without these (and refuse the development keys published in this repository).
 */
import { fingerprint } from "@shop/service-defaults/grpc/ServiceKeys"
import { generateKeyPairSync } from "node:crypto"
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"

const services = ["gateway", "product", "order", "payment", "notification"] as const

const { values } = parseArgs({ options: { out: { type: "string" } } })
if (values.out === undefined) {
  process.stderr.write("usage: npm run service-keys -- --out <dir>\n")
  process.exit(2)
}
const dir = resolve(values.out)
mkdirSync(dir, { recursive: true, mode: 0o700 })
const taken = services.flatMap((service) =>
  [`${service}.key`, `${service}.pub`].filter((file) => existsSync(join(dir, file)))
)
if (taken.length > 0) {
  process.stderr.write(`service-keys: ${taken.join(", ")} already in ${dir}; nothing written\n`)
  process.exit(1)
}
for (const service of services) {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519")
  writeFileSync(join(dir, `${service}.key`), privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 })
  writeFileSync(join(dir, `${service}.pub`), publicKey.export({ type: "spki", format: "pem" }), { mode: 0o644 })
  process.stdout.write(`${service.padEnd(8)} ${fingerprint(publicKey)}\n`)
}
const files = (ext: string) => services.map((service) => `--from-file=${join(dir, `${service}.${ext}`)}`).join(" ")
process.stdout.write(`
Kubernetes (namespace ecommerce): the private keys as a Secret, the public keys as a ConfigMap:
  kubectl -n ecommerce create secret generic shop-service-keys ${files("key")}
  kubectl -n ecommerce create configmap shop-service-public-keys ${files("pub")}
Compose (production profile): mount ${dir} as /var/lib/shop/service-keys (docker-compose.production.yml reads
./secrets/service-keys); the files must be readable by uid 1000.
`)
