import { Schema } from "effect"

/**
 * A setting the service refuses to start with: a missing, short or published secret in production, an admin API
 * left open, a development key where a real one is required. The message names the setting and what to do, and
 * the service exits before it serves anything.
 */
export class UnsafeSetting extends Schema.TaggedError<UnsafeSetting>()("UnsafeSetting", {
  setting: Schema.String,
  detail: Schema.String
}) {
  override get message() {
    return `refusing to start: ${this.setting} ${this.detail}`
  }
}
