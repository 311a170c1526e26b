import type { ChaosPlan, CutService, FaultKind, KilledService } from "./ChaosPlan.ts"
import type { Platform } from "./Platform.ts"
import type { Processor } from "./Processor.ts"

/** One thing done to the platform, with its wall-clock time. */
export type Disruption =
  | { readonly at: number; readonly type: "faults"; readonly kind: FaultKind }
  | { readonly at: number; readonly type: "kill"; readonly service: KilledService; readonly pid: number | undefined }
  | { readonly at: number; readonly type: "cut"; readonly service: CutService; readonly connections: number }

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

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
  const events = [
    ...plan.phases.map((phase) => ({ atMs: phase.startMs, run: () => switchFaults(phase.kind, phase.faults) })),
    ...plan.kills.map((kill) => ({ atMs: kill.atMs, run: () => killService(kill.service) })),
    ...(platform.cutConnections === undefined ? [] : plan.cuts).map((cut) => ({
      atMs: cut.atMs,
      run: () => cutConnections(cut.service)
    }))
  ].toSorted((a, b) => a.atMs - b.atMs)
  const done: Array<Disruption> = []

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

  async function cutConnections(service: CutService) {
    const connections = await platform.cutConnections!(service)
    done.push({ at: Date.now(), type: "cut", service, connections })
    log(`database connections of ${service} cut: ${connections}`)
  }

  try {
    for (const event of events) {
      await sleep(Math.max(0, origin + event.atMs - Date.now()))
      await event.run()
    }
    await sleep(Math.max(0, origin + plan.profile.loadSeconds * 1000 - Date.now()))
  } finally {
    await processor.setFaults({})
    done.push({ at: Date.now(), type: "faults", kind: "none" })
    log("faults cleared")
  }
  return done
}
