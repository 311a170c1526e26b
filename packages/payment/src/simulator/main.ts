import { NodeRuntime } from "@effect/platform-node"
import { ObservabilityLive } from "@shop/service-defaults/Observability"
import { Effect, Layer } from "effect"
import { PaymentSimulator } from "./PaymentSimulator.ts"

// The payment gateway simulator as its own process: `node packages/payment/src/simulator/main.ts`.
Layer.launch(PaymentSimulator.layerConfig).pipe(
  Effect.tapCause((cause) => Effect.logError("payment simulator failed to start", cause)),
  Effect.provide(ObservabilityLive("payment-simulator")),
  NodeRuntime.runMain({ disableErrorReporting: true })
)
