import { OrderStatus } from "@shop/domain"
import { shop } from "../api/Shop.ts"
import { Link } from "../components/Link.tsx"
import { Pagination } from "../components/Pagination.tsx"
import { Price } from "../components/Price.tsx"
import { ProblemMessage } from "../components/ProblemMessage.tsx"
import { SignInPanel } from "../components/SignInPanel.tsx"
import { readField } from "../state/Fields.ts"
import { type Location, withQuery } from "../state/Router.ts"
import { session } from "../state/Session.ts"
import { useStore } from "../state/Store.ts"
import { useLoad } from "../state/useLoad.ts"

const pageSize = 20

/** A table of orders with their status, total and date, each a link to its page; shared with the console. */
export const OrderTable = (props: {
  readonly token: string
  readonly status: OrderStatus | undefined
  readonly page: number
  readonly hrefFor: (page: number) => string
  /** Every customer's orders, with their customer (the operator console); else the signed-in user's own. */
  readonly everyone?: boolean
}) => {
  const orders = useLoad(
    () => {
      const query = { page: props.page, limit: pageSize, ...(props.status === undefined ? {} : { status: props.status }) }
      return props.everyone === true ? shop.admin.orders(props.token, query) : shop.orders.list(props.token, query)
    },
    [props.token, props.status, props.page, props.everyone]
  )
  if (orders.data === undefined) {
    return orders.problem === undefined
      ? <p aria-busy="true">Loading…</p>
      : <ProblemMessage problem={orders.problem} retry={orders.reload} />
  }
  if (orders.data.orders.length === 0) return <p>No orders{props.status === undefined ? "" : ` ${props.status}`}.</p>
  return (
    <>
      <table class="lines">
        <thead>
          <tr>
            <th scope="col">Order</th>
            {props.everyone === true && <th scope="col">Customer</th>}
            <th scope="col">Placed</th>
            <th scope="col">Status</th>
            <th scope="col">Total</th>
          </tr>
        </thead>
        <tbody>
          {orders.data.orders.map((order) => (
            <tr key={order.order_id}>
              <th scope="row">
                {props.everyone === true
                  // another customer's order page is theirs alone: the console shows the id
                  ? <span data-testid="admin-order-id">{order.order_id}</span>
                  : <Link href={`/orders/${encodeURIComponent(order.order_id)}`}>{order.order_id}</Link>}
              </th>
              {props.everyone === true && <td data-label="Customer">{order.user_id}</td>}
              <td data-label="Placed">{new Date(order.created_at.epochMilliseconds).toLocaleString("en-US")}</td>
              <td data-label="Status">
                <span class={`badge status-${order.status}`}>{order.status}</span>
              </td>
              <td data-label="Total"><Price cents={order.total_amount} currency={order.currency} /></td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pagination page={props.page} limit={pageSize} total={orders.data.total} hrefFor={props.hrefFor} />
    </>
  )
}

/** Order statuses as filter tabs: all, then each status. */
export const StatusTabs = (props: { readonly base: string; readonly status: OrderStatus | undefined }) => (
  <nav class="chips" aria-label="Order status">
    <Link href={props.base} current={props.status === undefined}>All</Link>
    {OrderStatus.literals.map((status) => (
      <Link key={status} href={withQuery(props.base, { status })} current={props.status === status}>
        {status}
      </Link>
    ))}
  </nav>
)

/** The status and page of an order list, from the URL. */
export const orderListParams = (query: URLSearchParams) => {
  const status = readField(OrderStatus, query.get("status") ?? undefined)
  const page = Number(query.get("page") ?? "1")
  return {
    status: status.ok ? status.value : undefined,
    page: Number.isInteger(page) && page >= 1 && page <= 10_000 ? page : 1
  }
}

/** `/orders`: the signed-in customer's orders, newest first, by status. */
export const OrdersPage = (props: { readonly location: Location }) => {
  const signedIn = useStore(session)
  const { status, page } = orderListParams(props.location.query)
  return (
    <section>
      <h1 tabIndex={-1}>My orders</h1>
      {signedIn === undefined ? <SignInPanel reason="Sign in to see your orders." /> : (
        <>
          <StatusTabs base="/orders" status={status} />
          <OrderTable
            token={signedIn.token}
            status={status}
            page={page}
            hrefFor={(target) => withQuery("/orders", { status, page: target })}
          />
        </>
      )}
    </section>
  )
}
