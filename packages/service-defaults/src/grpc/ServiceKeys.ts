import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto"
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"

/**
 * The Ed25519 keys behind service tokens, in one directory (`SERVICE_KEYS_DIR`): `<service>.key` is a service's
 * private key (PKCS#8 PEM, mode 0600), `<service>.pub` its public key (SPKI PEM; several concatenated while a key is
 * rotated). A service needs its own `.key` and the `.pub` of every service that calls it.
 *
 * - Development: a service that finds no key of its own creates one on first start, so `npm start` and the tests
 *   need no set-up; peers pick its public key up from the same directory when they first see its tokens.
 * - Production: nothing is created. The keys come from a secret manager (`npm run service-keys` makes a set; in
 *   Kubernetes the private keys are a Secret, the public keys a ConfigMap, both mounted as this directory), and a
 *   key published in this repository (the dev overlay's) is refused as our own and never trusted as a peer's.
 */

/** SHA-256 of the public key (SPKI DER), base64url: how keys are compared without handling them. */
export const fingerprint = (publicKey: KeyObject): string =>
  createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("base64url")

/** Fingerprints of every service key published in this repository (ops/k8s/overlays/dev/service-keys.yaml). */
export const PublishedKeyFingerprints: ReadonlySet<string> = new Set<string>([
  "1el-AyL361F1I_VyYi3mTBjiclQ-ERFFTiZZkwa3SDc",
  "dqnJIqLaqsxAi5ZbDSnlQL_SRmLpae24o1H_vmh5b3Y",
  "sGaR4Apcq8mKYN7vsmoGb0zS6HygZSjBCv3CF0rPIXA",
  "0kOn1q3iQl8lnRtmy8xmgGkBJCBgqh16wjwYiIBsOtk",
  "HcND8C1X4JTBg5QcUz51iPKippotV-W72a5B_TuOmjw"
])

/** Why the keys cannot be used; the message is for the operator at start-up. */
export class ServiceKeyError extends Error {}

const pemBlocks = (text: string, label: string) =>
  text.match(new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----`, "g")) ?? []

/** Creates `path` with `content` unless it exists; concurrent creators agree on one winner (link is atomic). */
const createExclusive = (path: string, content: string, mode: number) => {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`
  writeFileSync(temporary, content, { mode })
  try {
    linkSync(temporary, path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
  } finally {
    rmSync(temporary, { force: true })
  }
}

export interface KeyRingOptions {
  readonly dir: string
  readonly self: string
  readonly production: boolean
  /** The least time between two reads of one peer's public keys from disk. Default: 1 second. */
  readonly reloadInterval?: number | undefined
}

/** This service's signing key and the public keys of its peers, read from the key directory. */
export interface KeyRing {
  /** This service's private key; in development created on first use. Throws a ServiceKeyError when unusable. */
  readonly privateKey: () => KeyObject
  /** The public keys of `service` (empty when it has none here), read again at most once per reload interval. */
  readonly publicKeys: (service: string, options?: { readonly refresh?: boolean }) => ReadonlyArray<KeyObject>
}

export const openKeyRing = (options: KeyRingOptions): KeyRing => {
  const reloadInterval = options.reloadInterval ?? 1_000
  const keyPath = join(options.dir, `${options.self}.key`)
  const pubPath = (service: string) => join(options.dir, `${service}.pub`)
  let own: KeyObject | undefined
  const peers = new Map<string, { readonly keys: ReadonlyArray<KeyObject>; readonly loadedAt: number }>()

  const createOwn = () => {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 })
    const pair = generateKeyPairSync("ed25519")
    createExclusive(keyPath, pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string, 0o600)
  }

  const loadOwn = (): KeyObject => {
    if (!existsSync(keyPath)) {
      if (options.production) {
        throw new ServiceKeyError(
          `${keyPath} is missing: production never creates service keys; mount them from your secret manager ` +
            "(npm run service-keys makes a set)"
        )
      }
      createOwn()
    }
    const privateKey = createPrivateKey(readFileSync(keyPath, "utf8"))
    if (privateKey.asymmetricKeyType !== "ed25519") throw new ServiceKeyError(`${keyPath} is not an Ed25519 key`)
    const publicKey = createPublicKey(privateKey)
    if (options.production && PublishedKeyFingerprints.has(fingerprint(publicKey))) {
      throw new ServiceKeyError(`${keyPath} is a key published in the Shop Mesh repository: generate your own`)
    }
    // The public half next to it, for peers (written once; a rotation replaces the file by other means).
    if (!existsSync(pubPath(options.self))) {
      createExclusive(pubPath(options.self), publicKey.export({ type: "spki", format: "pem" }) as string, 0o644)
    }
    return privateKey
  }

  const readPeer = (service: string): ReadonlyArray<KeyObject> => {
    let text: string
    try {
      text = readFileSync(pubPath(service), "utf8")
    } catch {
      return []
    }
    return pemBlocks(text, "PUBLIC KEY").flatMap((pem) => {
      try {
        const key = createPublicKey(pem)
        if (key.asymmetricKeyType !== "ed25519") return []
        // A published key's private half is public too: whoever holds it could speak as that service.
        return options.production && PublishedKeyFingerprints.has(fingerprint(key)) ? [] : [key]
      } catch {
        return []
      }
    })
  }

  return {
    privateKey: () => (own ??= loadOwn()),
    publicKeys: (service, lookup) => {
      const now = Date.now()
      const cached = peers.get(service)
      const stale = cached === undefined || (lookup?.refresh === true && now - cached.loadedAt >= reloadInterval)
      if (!stale) return cached.keys
      const keys = readPeer(service)
      peers.set(service, { keys, loadedAt: now })
      return keys
    }
  }
}
