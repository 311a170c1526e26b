import { Config, Context, Effect, Layer } from "effect"

/** A catalog read's answer as the API encoded it, kept to be sent again as is. */
export interface HotAnswer {
  /** The route template, for the metrics (`/api/v1/products/:id`). */
  readonly route: string
  readonly contentType: string
  /**
   * The encoded body. `remember` takes it as the full path sent it; `lookup` gives it saying `cache_hit: true` where
   * the answer has that field (rewritten once, on the first hit, so an answer never asked for again costs nothing).
   */
  readonly body: Uint8Array
  /**
   * The path and query of the next page when the answer has one: its `Link` is written again for each request,
   * since its absolute URL comes from the request's `Host` (see PublicUrl).
   */
  readonly nextPage: string | undefined
  /** Until when (epoch ms) it may be served: the expiry of the read cache's entry it was made from. */
  readonly freshUntil: number
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * The body as a later reader gets it: the same JSON with `cache_hit: true` (the answer comes from the gateway's
 * memory). A body without that field (or that is not a JSON object) stays as it is.
 */
export const asCacheHit = (body: Uint8Array): Uint8Array => {
  const text = decoder.decode(body)
  if (!text.includes("\"cache_hit\":false")) return body
  const value: unknown = JSON.parse(text)
  if (typeof value !== "object" || value === null || !("cache_hit" in value)) return body
  return encoder.encode(JSON.stringify({ ...value, cache_hit: true }))
}

/**
 * The encoded answers of catalog reads the gateway's read cache holds, by request URL (path and query as sent), so
 * that the hot path (HotPath.ts) can send a hit without decoding the request, running the API's middlewares or
 * encoding the product again. An entry lives no longer than the read-cache entry it was made from (`freshUntil`)
 * and goes with every catalog write this gateway forwards, like the read cache's. Each `remember` first drops the
 * expired entries (an answer nobody asks for again, such as a one-off search, would otherwise stay until evicted),
 * and the oldest beyond `CATALOG_CACHE_CAPACITY` (default 10,000).
 */
export class HotReads extends Context.Service<HotReads, {
  readonly lookup: (url: string, now: number) => HotAnswer | undefined
  readonly remember: (url: string, answer: HotAnswer, now: number) => void
  readonly forgetAll: () => void
}>()("gateway/HotReads") {
  static readonly layer = Layer.effect(
    HotReads,
    Effect.gen(function*() {
      const capacity = yield* Config.Int("CATALOG_CACHE_CAPACITY").pipe(Config.withDefault(10_000))
      // `hit`: the body already says cache_hit: true. Insertion order is about expiry order (every entry lives one TTL).
      const answers = new Map<string, { answer: HotAnswer; hit: boolean }>()
      return HotReads.of({
        lookup: (url, now) => {
          const entry = answers.get(url)
          if (entry === undefined) return undefined
          if (entry.answer.freshUntil <= now) {
            answers.delete(url)
            return undefined
          }
          if (!entry.hit) {
            entry.answer = { ...entry.answer, body: asCacheHit(entry.answer.body) }
            entry.hit = true
          }
          return entry.answer
        },
        remember: (url, answer, now) => {
          answers.delete(url)
          // the expired entries first (never asked for again, they would otherwise wait for the capacity), then the
          // oldest beyond the capacity
          for (const [key, entry] of answers) {
            if (entry.answer.freshUntil > now && answers.size < capacity) break
            answers.delete(key)
          }
          answers.set(url, { answer, hit: false })
        },
        forgetAll: () => answers.clear()
      })
    })
  )
}
