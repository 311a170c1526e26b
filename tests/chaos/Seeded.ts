/**
 * A small seeded pseudo-random generator (mulberry32), so that one seed always yields the same plan: the same
 * products, orders, arrival times, fault phases and kills. The simulator's fault dice are seeded from it too.
 */
export interface Seeded {
  /** Uniform in [0, 1). */
  readonly next: () => number
  /** Uniform integer in [min, max]. */
  readonly int: (min: number, max: number) => number
  readonly chance: (probability: number) => boolean
  readonly pick: <A>(items: ReadonlyArray<A>) => A
  /** `count` distinct items, in random order. */
  readonly sample: <A>(items: ReadonlyArray<A>, count: number) => Array<A>
}

export const seeded = (seed: number): Seeded => {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1))
  const pick = <A>(items: ReadonlyArray<A>): A => items[int(0, items.length - 1)]!
  const sample = <A>(items: ReadonlyArray<A>, count: number) => {
    const pool = [...items]
    for (let i = pool.length - 1; i > 0; i--) {
      const j = int(0, i)
      ;[pool[i], pool[j]] = [pool[j]!, pool[i]!]
    }
    return pool.slice(0, count)
  }
  return { next, int, chance: (probability) => next() < probability, pick, sample }
}

/** A fresh seed when none is given: printed by every run, so that any run can be repeated with `--seed`. */
export const randomSeed = () => Math.floor(Math.random() * 2 ** 31)
