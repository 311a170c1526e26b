import { NodeRuntime } from "@effect/platform-node"
import { ObservabilityLive } from "@shop/service-defaults/Observability"
import { Config, Effect, Layer } from "effect"
import { SmsSimulator } from "./SmsSimulator.ts"

/** Runs the SMS provider simulator on `SMS_SIMULATOR_PORT` (default 8082), `SMS_SIMULATOR_HOST` (127.0.0.1). */
const main = Layer.unwrap(Effect.gen(function*() {
  const port = yield* Config.Port("SMS_SIMULATOR_PORT").pipe(Config.withDefault(8082))
  const host = yield* Config.String("SMS_SIMULATOR_HOST").pipe(Config.withDefault("127.0.0.1"))
  return Layer.effectDiscard(Effect.flatMap(SmsSimulator, ({ baseUrl }) => Effect.logInfo("sms simulator", baseUrl)))
    .pipe(Layer.provide(SmsSimulator.layer({ port, host })))
}))

Layer.launch(main).pipe(Effect.provide(ObservabilityLive("sms-simulator")), NodeRuntime.runMain)
