import type { KafkaJS } from "@confluentinc/kafka-javascript"
import { Effect } from "effect"
import type { KafkaLogLevel } from "./KafkaSettings.ts"

const ranks: Record<KafkaLogLevel, number> = { nothing: 0, error: 1, warn: 2, info: 3, debug: 4 }

/** The client's numeric level (its `logLevel` enum: NOTHING 0 .. DEBUG 4) for a configured level. */
export const clientLogLevel = (level: KafkaLogLevel): number => ranks[level]

/**
 * The client's logger, writing into the service's JSON logs (with its trace ids) instead of the console. The client
 * reports broker disconnects and retries as errors even though it recovers from them by itself, so its errors are
 * logged as warnings; what the platform could not do (a publish that failed, a handler that failed) is logged by
 * the event bus itself.
 */
export const makeKafkaLogger = (
  run: (effect: Effect.Effect<void>) => void,
  level: KafkaLogLevel,
  namespace = "kafka"
): KafkaJS.Logger => {
  let threshold = ranks[level]
  const write = (rank: number, log: (message: string) => Effect.Effect<void>) => (message: string, extra?: object) => {
    if (rank > threshold) return
    const annotations: Record<string, unknown> = { kafka: namespace }
    for (const [key, value] of Object.entries(extra ?? {})) {
      if (key !== "timestamp" && value !== undefined) annotations[key] = value
    }
    run(log(message).pipe(Effect.annotateLogs(annotations)))
  }
  return {
    error: write(ranks.error, (message) => Effect.logWarning(message)),
    warn: write(ranks.warn, (message) => Effect.logWarning(message)),
    info: write(ranks.info, (message) => Effect.logDebug(message)),
    debug: write(ranks.debug, (message) => Effect.logTrace(message)),
    namespace: (name) => makeKafkaLogger(run, level, `${namespace}.${name}`),
    setLogLevel: (next) => {
      threshold = next
    }
  }
}
