import { Context, Effect, Layer, Metric, Option, Queue } from "effect"
import { SqlClient } from "effect/sql"
import { ProductConfig } from "./ProductConfig.ts"
import { foldSales } from "./StockFold.ts"

/** Unfolded sales folded per statement; a round repeats it until fewer are left. */
const batchSize = 1000

export const salesFolded = Metric.counter("stock_sales_folded_total", {
  description: "Sales (an order's line) folded into their products' stock rows",
  incremental: true
})

/** Failing rounds cost no read anything, but `unfolded_sales` grows until one succeeds. */
export const foldFailures = Metric.counter("stock_fold_failures_total", {
  description: "Rounds of the stock folder that failed; their sales stay recorded for the next round",
  incremental: true
})

/**
 * Folds committed sales into their products' rows in the background (see StockFold.ts). A commit of this process
 * signals; the folder then waits `foldDelay` so that the commits meanwhile share one fold, and folds everything
 * recorded. It also folds at start, and looks every `foldPoll`, for sales nobody signalled: those of a process that
 * died right after its commit, or of a replica whose folder is late. Replicas may all run it (their folds claim with SKIP LOCKED).
 *
 * A late or failed fold costs nothing a read can see; only the table of unfolded sales grows until the next round.
 */
export class StockFolder extends Context.Service<StockFolder, {
  /** Tells the folder that a commit recorded sales. Never waits. */
  readonly signal: Effect.Effect<void>
}>()("product/StockFolder") {
  static readonly layer = Layer.effect(
    StockFolder,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const { foldDelay, foldPoll } = yield* ProductConfig
      // Signals sent while the folder waits or folds fold into one: the round folds whatever was recorded before it.
      const signals = yield* Queue.dropping<void>(1)
      const foldAll = Effect.gen(function*() {
        for (;;) {
          const folded = yield* foldSales(sql, batchSize)
          if (folded > 0) yield* Metric.update(salesFolded, folded)
          if (folded < batchSize) return
        }
      }).pipe(
        Effect.withSpan("StockFolder.fold", {}, { captureStackTrace: false }),
        Effect.catchCause((cause) =>
          Effect.andThen(
            Metric.update(foldFailures, 1),
            Effect.logWarning("stock fold failed; the sales stay recorded and are folded next round", cause)
          )
        )
      )
      const round = Effect.gen(function*() {
        const woken = yield* Queue.take(signals).pipe(Effect.timeoutOption(foldPoll), Effect.map(Option.isSome))
        if (woken) yield* Effect.sleep(foldDelay)
        yield* foldAll
      })
      // A first round at once: the sales a previous process of this service left unfolded (killed after a commit).
      yield* Effect.forkScoped(Effect.andThen(foldAll, Effect.forever(round)))
      return StockFolder.of({ signal: Effect.sync(() => void Queue.offerUnsafe(signals, undefined)) })
    })
  )
}
