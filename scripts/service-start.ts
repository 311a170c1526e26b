/** Asks `check` every `pollMs` until it says yes (true) or `timeoutMs` has passed (false). */
const pollUntil = async (check: () => Promise<boolean>, timeoutMs: number, pollMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, pollMs))
  }
  return false
}

/** Waits until `url` answers with a 2xx status (a liveness endpoint: the simulator, a gateway's public port). */
export const waitForHealth = (url: string, timeoutMs: number, pollMs = 250): Promise<boolean> =>
  pollUntil(() => fetch(url).then((response) => response.ok, () => false), timeoutMs, pollMs)

/**
 * Waits until the service behind an admin port has started: its readiness' `startup` check passes once every layer
 * is built (migrations applied, gRPC port bound). Its liveness (`/healthz`) answers before that, so a service that
 * then fails to start (its gRPC port taken by another process's connection, say) would have counted as up. The
 * dependency checks beside `startup` (its database) are not waited for again: the start-up itself needed them. A
 * readiness without a `startup` check counts when it answers 200.
 */
export const waitForStart = (adminUrl: string, timeoutMs: number, pollMs = 250): Promise<boolean> =>
  pollUntil(
    () =>
      // Not answering yet, or not with JSON (another server on the port): not started.
      fetch(`${adminUrl}/readyz`).then(async (response) => {
        const body = await response.json() as { readonly checks?: ReadonlyArray<{ name: string; ok: boolean }> }
        const startup = body.checks?.find((check) => check.name === "startup")
        return startup === undefined ? response.ok : startup.ok
      }).catch(() => false),
    timeoutMs,
    pollMs
  )
