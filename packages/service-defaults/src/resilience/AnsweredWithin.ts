import { Duration, Effect } from "effect"

/**
 * A call's promise, bounded by a timeout that counts the peer's delay and not this process's own.
 *
 * A plain timeout (`Effect.timeout`, a `setTimeout`) is wrong on a busy process: it starts when the call is made,
 * but the Redis client writes its commands in `setImmediate`, so a long turn of the event loop (or a wait for a
 * core) right after the call holds the request itself back past the timeout, and the peer is blamed for the
 * process's own delay. On two saturated cores that made Redis "unreachable" several times a minute while it
 * answered in under a millisecond, and the gateway's rate limiter left its shared budgets each time.
 *
 * Here a timer that fires late (the process was busy, so it could not have sent or read meanwhile) is armed once
 * more for as long as it was late, at most `timeout` again; and when it fires, the event loop reads what has arrived
 * before the timeout is decided (in `setImmediate`, after the poll phase: Node runs expired timers before it reads
 * the sockets). A peer that is really slow is still given up on, after at most twice `timeout` and one turn.
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
