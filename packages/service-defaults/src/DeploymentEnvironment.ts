import { Config } from "effect"

/**
 * The deployment environment, from `SHOP_ENV`: `development` (the default: a laptop, where development secrets and
 * demo conveniences are allowed) or `production` (compose's production profile and the Kubernetes prod overlay set
 * it; every service then refuses to start with an unsafe setting).
 */
export type DeploymentEnvironment = "development" | "production"

/** `SHOP_ENV`, `development` when unset; any other value is a configuration error at start-up. */
export const DeploymentEnvironment: Config.Config<DeploymentEnvironment> = Config.Literals(
  ["development", "production"],
  "SHOP_ENV"
).pipe(Config.withDefault("development" as const))

/** Whether `SHOP_ENV` says production. */
export const isProduction: Config.Config<boolean> = Config.map(DeploymentEnvironment, (env) => env === "production")
