import { Duration, Effect } from "effect"

/**
 * A call's promise, bounded by a timeout that counts the peer's delay and not this process's own.
 *
 * A plain timeout (`Effect.timeout`, a `setTimeout`) is wrong on a busy process. A call's request may leave only
 * after a long turn of the event loop (the Redis client writes its commands in `setImmediate`), and when the loop
 * comes back from a long turn, or from waiting for a core, Node runs the expired timers before it reads the
 * sockets, so an answer that arrived in time is found only after the timeout has fired. On two saturated cores that
 * made Redis "unreachable" several times a minute while it answered in under a millisecond: the gateway's rate
 * limiter left its shared budgets, and the breakers' store opened its circuit as a load started.
 *
 * Here a timer that fires late (the process was busy, so it could not have sent or read) is armed once more for as
 * long as it was late, at most `timeout` again; and when it fires, the event loop first reads what has arrived (the
 * timeout is decided in `setImmediate`, after the poll phase). A peer that is really slow is still given up on, after
 * at most twice `timeout` and one turn of the loop.
 */
export const answeredWithin = <A, E>(
  call: () => PromiseLike<A>,
  options: {
    readonly timeout: Duration.Input
    readonly onTimeout: () => E
    readonly onFailure: (cause: unknown) => E
  }
): Effect.Effect<A, E> =>
  Effect.callback<A, E>((resume) => {
    const timeout = Duration.toMillis(Duration.fromInputUnsafe(options.timeout))
    let settled = false
    let timer: ReturnType<typeof setTimeout> | undefined
    let immediate: ReturnType<typeof setImmediate> | undefined
    const stop = () => {
      settled = true
      clearTimeout(timer)
      if (immediate !== undefined) clearImmediate(immediate)
    }
    const arm = (delay: number, extended: boolean) => {
      const due = performance.now() + delay
      timer = setTimeout(() => {
        const late = performance.now() - due
        if (!extended && late >= 1) return arm(Math.min(late, timeout), true)
        immediate = setImmediate(() => {
          if (settled) return
          stop()
          resume(Effect.fail(options.onTimeout()))
        })
      }, delay)
    }
    const settle = (outcome: Effect.Effect<A, E>) => {
      if (settled) return
      stop()
      resume(outcome)
    }
    arm(timeout, false)
    try {
      call().then(
        (value) => settle(Effect.succeed(value)),
        (cause) => settle(Effect.fail(options.onFailure(cause)))
      )
    } catch (cause) {
      settle(Effect.fail(options.onFailure(cause)))
    }
    return Effect.sync(stop)
  })
