/**
 * Below this many mails per order confirmed while measured, a run has put off most of its mail for after the run:
 * mails trail their orders by a little (each is sent after its confirmation), never by most of them.
 */
export const leastMailsPerOrder = 0.5

/**
 * Why a run cannot count, when its mails fell that far behind its orders: the CPU per order it prints leaves most of
 * their sends out (as every order bench did while each mail waited 40 ms for the server's delayed acknowledgement),
 * or the notification service is not running at all. Undefined when the mails kept up.
 */
export const mailsBehind = (mailsSent: number, ordersConfirmed: number): string | undefined =>
  ordersConfirmed > 0 && mailsSent < ordersConfirmed * leastMailsPerOrder
    ? `mails fell behind: ${mailsSent} sent for ${ordersConfirmed} orders confirmed while measured (fewer than ` +
      `${leastMailsPerOrder} per order), so the CPU per order leaves most of their sends out`
    : undefined
