/**
 * Loaded first into every process `npm start` runs (`node --import scripts/orphan-guard.ts`). A process whose
 * launcher is gone (killed with -9, crashed) is adopted by another parent; it then stops itself (SIGTERM, so it
 * shuts down gracefully, and exits for good ten seconds later) instead of running on as an orphan that holds its
 * ports and CPU. Without SHOP_LAUNCHER_PID (a process run by hand, in a container) it does nothing.
 */
const launcher = Number(process.env.SHOP_LAUNCHER_PID)

if (launcher > 0) {
  let orphanedFor = 0
  setInterval(() => {
    if (process.ppid === launcher) return
    orphanedFor++
    if (orphanedFor === 1) process.kill(process.pid, "SIGTERM")
    if (orphanedFor > 10) process.exit(1)
  }, 1_000).unref()
}
