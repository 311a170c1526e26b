import type { ChaosPlan, CutService, FaultKind, KilledService } from "./ChaosPlan.ts"
import type { Platform } from "./Platform.ts"
import type { Processor } from "./Processor.ts"

/** One thing done to the platform, with its wall-clock time. */
export type Disruption =
  | { readonly at: number; readonly type: "faults"; readonly kind: FaultKind }
  | { readonly at: number; readonly type: "kill"; readonly service: KilledService; readonly pid: number | undefined }
  | { readonly at: number; readonly type: "cut"; readonly service: CutService; readonly connections: number }

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** How long a cut waits for a service with no database connection (one restarting after a kill) to have some. */
const cutPatienceMs = 10_000

/**
 * Walks the plan's timeline from `origin`: switches the processor's faults at each phase and SIGKILLs each planned
 * service at its time (a service still down from an earlier kill is noted with no PID); on a distributed platform it
 * also cuts each planned service's database connections at its time. Ends with every fault cleared, whatever
 * happened.
 */
export const runDisruptions = async (
  plan: ChaosPlan,
  platform: Platform,
  processor: Processor,
  origin: number,
  log: (line: string) => void
): Promise<Array<Disruption>> => {
  const cut = platform.cutConnections
  const events = [
    ...plan.phases.map((phase) => ({ atMs: phase.startMs, run: () => switchFaults(phase.kind, phase.faults) })),
    ...plan.kills.map((kill) => ({ atMs: kill.atMs, run: () => killService(kill.service) })),
    ...(cut === undefined ? [] : plan.cuts.map((planned) => ({
      atMs: planned.atMs,
      // In the background: a cut that waits for a restarting service must not delay the rest of the timeline.
      run: () => void cuts.push(cutConnections(cut, planned.service))
    })))
  ].toSorted((a, b) => a.atMs - b.atMs)
  const done: Array<Disruption> = []
  const cuts: Array<Promise<void>> = []
  let cutOutcomes: Array<PromiseSettledResult<void>> = []

  async function switchFaults(kind: FaultKind, faults: (typeof plan.phases)[number]["faults"]) {
    await processor.setFaults(faults)
    done.push({ at: Date.now(), type: "faults", kind })
    log(`faults: ${kind} ${JSON.stringify(faults)}`)
  }
  function killService(service: KilledService) {
    const pid = platform.kill9(service)
    done.push({ at: Date.now(), type: "kill", service, pid })
    log(pid === undefined ? `kill -9 ${service}: already down, skipped` : `kill -9 ${service} (pid ${pid})`)
  }

  // A service restarting after a kill has no connection yet: its cut waits (a bounded while) for the first ones, so
  // that it cuts the new pool rather than nothing.
  async function cutConnections(cutOf: (service: CutService) => Promise<number>, service: CutService) {
    const planned = Date.now()
    let connections = await cutOf(service)
    while (connections === 0 && Date.now() - planned < cutPatienceMs) {
      await sleep(250)
      connections = await cutOf(service)
    }
    const waited = Date.now() - planned
    done.push({ at: Date.now(), type: "cut", service, connections })
    log(`database connections of ${service} cut: ${connections}${waited >= 250 ? ` (after ${waited} ms)` : ""}`)
  }

  try {
    for (const event of events) {
      await sleep(Math.max(0, origin + event.atMs - Date.now()))
      await event.run()
    }
    await sleep(Math.max(0, origin + plan.profile.loadSeconds * 1000 - Date.now()))
  } finally {
    // Every cut ends before the faults are cleared: the clearing is the timeline's last entry.
    cutOutcomes = await Promise.allSettled(cuts)
    await processor.setFaults({})
    done.push({ at: Date.now(), type: "faults", kind: "none" })
    log("faults cleared")
  }
  // A cut that could not be made (the server unreachable) fails the run, as a fault that could not be set does.
  const failedCut = cutOutcomes.find((outcome) => outcome.status === "rejected")
  if (failedCut !== undefined) throw failedCut.reason
  return done
}
