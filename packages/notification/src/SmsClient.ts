import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Effect, Layer } from "effect"
import { SendError } from "./Mailer.ts"
import { NotificationConfig } from "./NotificationConfig.ts"

/** Sends SMS through the provider's HTTP API (`POST {SMS_PROVIDER_URL}/v1/messages`). */
export class SmsClient extends Context.Service<SmsClient, {
  readonly send: (to: string, body: string) => Effect.Effect<void, SendError>
}>()("@shop/notification/SmsClient") {
  static readonly layer = Layer.effect(
    SmsClient,
    Effect.gen(function*() {
      const { smsProviderUrl } = yield* NotificationConfig
      return SmsClient.of({
        send: traced("SmsClient.send")(function*(to: string, body: string) {
          yield* Effect.tryPromise({
            try: async (signal) => {
              const response = await fetch(`${smsProviderUrl}/v1/messages`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ to, body }),
                signal
              })
              if (!response.ok) throw new Error(`SMS provider answered ${response.status}`)
            },
            catch: (cause) => new SendError({ channel: "sms", cause })
          })
        })
      })
    })
  )
}
