import { Effect, Schema } from "effect"
import { isProduction } from "./DeploymentEnvironment.ts"

/** A setting that is acceptable on a laptop but not in production: the service refuses to start with it. */
export class UnsafeConfiguration extends Schema.TaggedError<UnsafeConfiguration>()("UnsafeConfiguration", {
  setting: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `refusing to start in production (SHOP_ENV=production): ${this.setting}: ${this.reason}`
  }
}

/** Fails with `UnsafeConfiguration` when `SHOP_ENV=production` and `unsafe` holds; does nothing otherwise. */
export const refuseInProduction = (unsafe: boolean, setting: string, reason: string) =>
  Effect.gen(function*() {
    if (unsafe && (yield* isProduction)) return yield* new UnsafeConfiguration({ setting, reason })
  })
