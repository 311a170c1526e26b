/** The console's operations views: their path under `/admin/` and what each shows, for the menu and the overview. */
export const operationsViews = {
  sagas: { title: "Sagas", what: "sagas retrying or stuck, with their last error; retry one now" },
  refunds: { title: "Parked refunds", what: "refunds the card processor kept refusing; send one again" },
  "dead-letters": { title: "Dead letters", what: "notifications that failed on every channel; redrive one" },
  breakers: { title: "Circuit breakers", what: "order → product, order → payment, payment → card processor" },
  consumers: { title: "Consumer lag", what: "events each consumer group has not processed yet" },
  outbox: { title: "Outbox backlog", what: "events written and not yet published, per topic" }
} as const

export type OperationsView = keyof typeof operationsViews
