import { Effect, type Tracer } from "effect"

/**
 * `Effect.fn(name)` without a stack trace per call: a function whose every call runs in a span named `name`, as
 * `Effect.fn(name)(body, ...pipeables)` does (a generator or a function returning an Effect, pipeables inside the
 * span). The platform's services define their functions with it.
 *
 * `Effect.fn` constructs an `Error` at every call to remember where it was called from (shown when the call fails).
 * V8 then walks the stack, and for optimised frames rebuilds the inlined ones: under `bench:orders` that was about
 * 1.4 % of the platform's CPU (`perf`, README: The order path), spent on calls that almost never fail. Here the stack
 * is captured once, where the function is defined, and a failure names that place.
 */
export const traced = (name: string, options?: Tracer.SpanOptionsNoTrace): Effect.fn.Traced => {
  // Two frames: this function and its caller, the definition (as Effect.fn records its own definition).
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 2
  const definition = new Error()
  Error.stackTraceLimit = limit
  let where: string | undefined
  const span = Effect.withSpan(name, options, {
    captureStackTrace: () => (where ??= definition.stack?.split("\n")[2]?.trim())
  })
  return ((bodyOrOptions: Body | { readonly self: unknown }, ...rest: ReadonlyArray<Pipeable>) => {
    const pipeables = [...rest]
    const body = typeof bodyOrOptions === "function"
      ? bodyOrOptions
      : (pipeables.shift() as unknown as Body).bind(bodyOrOptions.self)
    return function(this: unknown, ...args: Array<unknown>) {
      let result: unknown = Effect.suspend(() => {
        const made = body.apply(this, args)
        return Effect.isEffect(made) ? made : Effect.gen(() => made)
      })
      for (const pipeable of pipeables) result = pipeable(result, ...args)
      return Effect.isEffect(result) ? span(result, ...args) : result
    }
  }) as unknown as Effect.fn.Traced
}

type Body = (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, unknown, unknown> | Generator<any, unknown>
type Pipeable = (self: unknown, ...args: ReadonlyArray<unknown>) => unknown
