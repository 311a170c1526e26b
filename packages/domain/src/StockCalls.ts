/**
 * The most orders one `ReserveInventories` or `CommitReservations` call of the product service carries: the
 * service refuses more (INVALID_ARGUMENT), and the order service's batches of them are no larger.
 */
export const maxOrdersPerStockCall = 100
