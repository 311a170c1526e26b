import type { FaultConfig } from "@shop/payment/simulator/Faults"
import type { Charge, Refund } from "@shop/payment/simulator/Model"

/** The card processor's books as `GET /v1/ledger` shows them: the only truth about money. */
export interface ProcessorLedger {
  readonly charges: ReadonlyArray<Charge>
  readonly refunds: ReadonlyArray<Refund>
}

const expectOk = async (response: Response, what: string) => {
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${await response.text()}`)
  return response
}

/** The card processor simulator, driven from outside: its fault switches and its ledger. */
export const processor = (baseUrl: string) => ({
  /** Puts these faults in force (every other fault off). */
  setFaults: async (faults: Partial<FaultConfig>) => {
    await expectOk(
      await fetch(`${baseUrl}/admin/faults`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(faults)
      }),
      "PUT /admin/faults"
    )
  },
  ledger: async (): Promise<ProcessorLedger> => {
    const response = await expectOk(await fetch(`${baseUrl}/v1/ledger`), "GET /v1/ledger")
    const body = await response.json() as ProcessorLedger
    return { charges: body.charges, refunds: body.refunds }
  }
})
export type Processor = ReturnType<typeof processor>
