import { OrderTable, orderListParams, StatusTabs } from "../pages/OrdersPage.tsx"
import { type Location, withQuery } from "../state/Router.ts"

/** `/admin/orders`: every customer's orders, newest first, by status (`GET /api/v1/admin/orders`). */
export const OrdersAdmin = (props: { readonly token: string; readonly location: Location }) => {
  const { status, page } = orderListParams(props.location.query)
  return (
    <section>
      <h1 tabIndex={-1}>Orders</h1>
      <StatusTabs base="/admin/orders" status={status} />
      <OrderTable
        token={props.token}
        status={status}
        page={page}
        everyone
        hrefFor={(target) => withQuery("/admin/orders", { status, page: target })}
      />
    </section>
  )
}
