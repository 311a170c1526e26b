import { Deferred, Effect, Exit, Scope, type Tracer } from "effect"

interface Waiting<A, B, E> {
  readonly input: A
  readonly answer: Deferred.Deferred<B, E>
  /** The caller's span: a batch runs under its first call's, so its statement shows in that request's trace. */
  readonly span: Tracer.AnySpan | undefined
}

/**
 * Runs the calls of one key in batches, with no delay of its own: a call whose key has fewer than `inFlight` batches
 * running starts one at once, alone; the calls that come while they run wait, and form the next batch (up to
 * `maxBatch`) as soon as one ends. A few calls at a time run alone, as soon as they come, as without batches; calls
 * that would queue behind each other anyway (on a popular product's row) share one statement instead. With two
 * batches in flight, the next one already waits in the database while the first holds the rows, instead of leaving
 * after the first's answer came back.
 *
 * `run` answers every input of its batch, in order; its failure is the failure of every call in the batch. A call
 * that `conflicts` with one already in the batch waits for the next. Batches run in the owner's scope: an interrupted
 * caller neither cancels its batch (its work may still be done) nor leaves the others waiting. A batch runs under the
 * span of its first call, and its spans link to the spans of the other calls it serves.
 */
export const makeKeyedBatches = <A, B, E>(options: {
  readonly maxBatch: number
  readonly inFlight: number
  readonly run: (inputs: ReadonlyArray<A>) => Effect.Effect<ReadonlyArray<B>, E>
  readonly conflicts: (a: A, b: A) => boolean
}) =>
  Effect.gen(function*() {
    const scope = yield* Scope.Scope
    // Present while a batch of the key runs: how many run, and the calls waiting for the next one.
    const keys = new Map<string, { running: number; readonly waiting: Array<Waiting<A, B, E>> }>()

    const takeBatch = (waiting: Array<Waiting<A, B, E>>) => {
      const batch: Array<Waiting<A, B, E>> = []
      for (let i = 0; i < waiting.length && batch.length < options.maxBatch;) {
        const call = waiting[i]!
        if (batch.some((taken) => options.conflicts(taken.input, call.input))) {
          i++
        } else {
          batch.push(call)
          waiting.splice(i, 1)
        }
      }
      return batch
    }

    const runOne = (batch: ReadonlyArray<Waiting<A, B, E>>) => {
      const [first, ...others] = batch
      const linked = others.flatMap((call) => call.span === undefined ? [] : [call.span])
      // The spans of the batch link to the other calls' spans: a request whose call was served by another's batch
      // can be followed to the statement or call that did its work.
      const run = linked.length === 0
        ? options.run(batch.map((call) => call.input))
        : Effect.linkSpans(options.run(batch.map((call) => call.input)), linked, { "shop.batch.size": batch.length })
      return Effect.exit(first!.span === undefined ? run : Effect.withParentSpan(run, first!.span))
    }

    const runBatches = (key: string, batch: ReadonlyArray<Waiting<A, B, E>>): Effect.Effect<void> =>
      Effect.flatMap(runOne(batch), (exit) =>
        Effect.suspend(() => {
          batch.forEach((call, i) => {
            Deferred.doneUnsafe(
              call.answer,
              Exit.isSuccess(exit) ? Exit.succeed(exit.value[i]!) : Exit.failCause(exit.cause)
            )
          })
          const state = keys.get(key)!
          if (state.waiting.length > 0) return runBatches(key, takeBatch(state.waiting))
          if (--state.running === 0) keys.delete(key)
          return Effect.void
        }))

    const currentSpan = Effect.orElseSucceed(Effect.currentParentSpan, () => undefined)

    return (key: string, input: A): Effect.Effect<B, E> =>
      Effect.flatMap(currentSpan, (span) => {
        const answer = Deferred.makeUnsafe<B, E>()
        let state = keys.get(key)
        if (state === undefined) keys.set(key, state = { running: 0, waiting: [] })
        if (state.running >= options.inFlight) {
          state.waiting.push({ input, answer, span })
          return Deferred.await(answer)
        }
        state.running++
        return Effect.andThen(Effect.forkIn(runBatches(key, [{ input, answer, span }]), scope), Deferred.await(answer))
      })
  })
