import type { Quota } from "./RateLimitConfig.ts"

/**
 * The gateway's rate-limit budgets: one token bucket per caller and route class, in this process's memory, so that
 * deciding a request is a map lookup and some arithmetic. A quota of `limit` per `window` is a bucket of `limit`
 * tokens refilled at `limit / window`: a caller may burst up to `limit`, then gets one request per
 * `window / limit`. With several gateways, BucketSync reconciles every bucket with a shared one in Redis in the
 * background (see there), never on the request path.
 *
 * The store is bounded (`maxKeys`): a bucket that has refilled completely is the same as no bucket and is dropped
 * first; beyond that the oldest bucket goes. Dropping a bucket forgets what its caller spent, so a flood of new
 * callers can only make the limiter more lenient, never refuse someone it should not.
 */
export interface Decision {
  readonly allowed: boolean
  readonly limit: number
  /** Whole tokens left after this request. */
  readonly remaining: number
  /** Seconds until the bucket is full again. */
  readonly resetSeconds: number
  /** Seconds until the next request would be allowed (0 when it is). */
  readonly retryAfterSeconds: number
}

interface Bucket {
  tokens: number
  updatedAt: number
  readonly limit: number
  /** Tokens per millisecond. */
  readonly rate: number
  readonly windowMs: number
  /** Tokens spent here and not yet reported to the shared store. */
  unsynced: number
  /** When the shared level was last adopted, and when the bucket was last used. */
  syncedAt: number
  usedAt: number
  /** Whether the bucket is in the set of recently used ones, whose shared level is fetched regularly. */
  recent: boolean
}

/** What BucketSync sends for one bucket: its key, the tokens spent here since the last report, and its quota. */
export interface Spent {
  readonly key: string
  readonly spent: number
  readonly limit: number
  readonly windowMs: number
}

const ceilSeconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000))

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>()
  private readonly dirty = new Set<string>()
  private readonly recent = new Set<string>()
  /** Buckets dropped to stay within `maxKeys`, for the evictions metric. */
  evicted = 0
  private readonly maxKeys: number

  constructor(maxKeys: number) {
    this.maxKeys = maxKeys
  }

  get size(): number {
    return this.buckets.size
  }

  /** Takes one token from `key`'s bucket if it has one. */
  consume(key: string, quota: Quota, windowMs: number, now: number): Decision {
    let bucket = this.buckets.get(key)
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxKeys) this.makeRoom(now)
      bucket = {
        tokens: quota.limit,
        updatedAt: now,
        limit: quota.limit,
        rate: quota.limit / windowMs,
        windowMs,
        unsynced: 0,
        syncedAt: 0,
        usedAt: now,
        recent: false
      }
      this.buckets.set(key, bucket)
    } else {
      bucket.tokens = Math.min(bucket.limit, bucket.tokens + (now - bucket.updatedAt) * bucket.rate)
      bucket.updatedAt = now
    }
    bucket.usedAt = now
    if (!bucket.recent) {
      bucket.recent = true
      this.recent.add(key)
    }
    const allowed = bucket.tokens >= 1
    if (allowed) {
      bucket.tokens -= 1
      bucket.unsynced += 1
      this.dirty.add(key)
    }
    return {
      allowed,
      limit: bucket.limit,
      remaining: Math.max(0, Math.floor(bucket.tokens)),
      resetSeconds: ceilSeconds((bucket.limit - bucket.tokens) / bucket.rate),
      retryAfterSeconds: allowed ? 0 : Math.max(1, ceilSeconds((1 - bucket.tokens) / bucket.rate))
    }
  }

  /**
   * Up to `max` buckets to reconcile, with what each spent since its last report (then zeroed: the caller reports
   * it): first those that spent, then those used within `activeWithin` whose shared level is older than
   * `refreshAfter` (they spent nothing here, but other gateways may have).
   */
  takeSpent(
    max: number,
    now: number,
    refresh: { readonly after: number; readonly activeWithin: number }
  ): Array<Spent> {
    const taken: Array<Spent> = []
    const take = (key: string, bucket: Bucket) => {
      taken.push({ key, spent: bucket.unsynced, limit: bucket.limit, windowMs: bucket.windowMs })
      bucket.unsynced = 0
      bucket.syncedAt = now // not yet adopted, but asked: not asked again before the answer
    }
    for (const key of this.dirty) {
      if (taken.length >= max) return taken
      this.dirty.delete(key)
      const bucket = this.buckets.get(key)
      if (bucket !== undefined && bucket.unsynced > 0) take(key, bucket)
    }
    for (const key of this.recent) {
      if (taken.length >= max) return taken
      const bucket = this.buckets.get(key)
      if (bucket === undefined || now - bucket.usedAt > refresh.activeWithin) {
        this.recent.delete(key)
        if (bucket !== undefined) bucket.recent = false
      } else if (now - bucket.syncedAt >= refresh.after) {
        take(key, bucket)
      }
    }
    return taken
  }

  /**
   * Adopts the shared bucket's level for `key`: what every gateway has left, minus what this one spent since it
   * reported (that spending is in its next report).
   */
  adopt(key: string, sharedTokens: number, now: number): void {
    const bucket = this.buckets.get(key)
    if (bucket === undefined) return
    bucket.tokens = Math.min(bucket.limit, sharedTokens - bucket.unsynced)
    bucket.updatedAt = now
    bucket.syncedAt = now
  }

  /** Drops the buckets that have refilled and have nothing to report: they are the same as no bucket. */
  sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (this.isIdle(bucket, now)) this.forget(key)
    }
  }

  private isIdle(bucket: Bucket, now: number): boolean {
    return bucket.unsynced === 0 && !bucket.recent &&
      bucket.tokens + (now - bucket.updatedAt) * bucket.rate >= bucket.limit
  }

  private makeRoom(now: number): void {
    let checked = 0
    for (const [key, bucket] of this.buckets) {
      // a bounded look at the oldest buckets for an idle one; the oldest goes when none is
      if (checked++ >= 64) break
      if (this.isIdle(bucket, now)) return this.forget(key)
    }
    const oldest = this.buckets.keys().next()
    if (oldest.done !== true) {
      this.forget(oldest.value)
      this.evicted++
    }
  }

  private forget(key: string): void {
    this.buckets.delete(key)
    this.dirty.delete(key)
    this.recent.delete(key)
  }
}
