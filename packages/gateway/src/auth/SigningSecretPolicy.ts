/**
 * What a JWT_SECRET must be. Anyone who reads the repository can mint an admin token for a deployment that kept a
 * secret written in it, so production refuses every one of them, as well as short, placeholder-looking and
 * low-variety values. A test scans the repository for secrets and fails when one is missing from this list.
 */

/** The development default of the gateway (`AuthConfig.ts`); accepted in development only. */
export const DevelopmentSecret = "shop-mesh-development-secret-do-not-use-in-production"

/** Every JWT secret written anywhere in this repository: code default, compose, every overlay, the tests. */
export const PublishedSecrets: ReadonlyArray<string> = [
  DevelopmentSecret,
  // docker-compose.yml and ops/k8s/overlays/dev/secrets.yaml
  "shop-mesh-development-secret-change-me",
  // ops/k8s/base/secrets.yaml (placeholder)
  "REPLACE_ME_WITH_A_RANDOM_32_BYTE_SECRET",
  // tests
  "gateway-test-secret-0123456789abcdef",
  "tracing-test-secret-0123456789abcdef",
  "distributed-e2e-secret-0123456789abcdef",
  "another-secret-0123456789abcdefgh",
  // the compose production profile's check (service-defaults/test/ops/Security.test.ts)
  "generated-elsewhere-4f9c1d7e2b8a"
]

/** RFC 7518 3.2: an HS256 key at least as long as the hash output; a shorter one can be brute-forced. */
export const MinimumSecretBytes = 32

// Words that mark a value as an example, not a secret someone generated.
const placeholder = /replace.?me|change.?me|do.?not.?use|example|placeholder|changeit|secret.?key|development/i
const minimumDistinctCharacters = 10

/** Why `secret` may not sign tokens in production, or `undefined` when it may. */
export const productionSecretProblem = (secret: string): string | undefined => {
  if (PublishedSecrets.includes(secret.trim())) {
    return "is a secret published in the Shop Mesh repository: generate one (e.g. `openssl rand -base64 48`)"
  }
  if (new TextEncoder().encode(secret).length < MinimumSecretBytes) {
    return `must be at least ${MinimumSecretBytes} bytes`
  }
  if (placeholder.test(secret)) return "looks like a placeholder or example value, not a generated secret"
  if (new Set(secret).size < minimumDistinctCharacters) return "has too little variety to be a generated secret"
  return undefined
}
