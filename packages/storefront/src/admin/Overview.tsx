import type { HealthReport } from "@shop/domain"
import { useEffect } from "preact/hooks"
import { shop } from "../api/Shop.ts"
import { Link } from "../components/Link.tsx"
import { ProblemMessage } from "../components/ProblemMessage.tsx"
import { useLoad } from "../state/useLoad.ts"
import { operationsViews } from "./OperationsViews.ts"

const HealthTable = (props: { readonly services: NonNullable<HealthReport["services"]> }) => (
  <table class="lines compact">
    <thead>
      <tr>
        <th scope="col">Service</th>
        <th scope="col">State</th>
        <th scope="col">Latency</th>
      </tr>
    </thead>
    <tbody>
      {Object.entries(props.services).map(([name, backend]) => (
        <tr key={name}>
          <th scope="row">{name}</th>
          <td data-label="State">
            <span class={`badge ${backend.status === "up" ? "status-confirmed" : "status-failed"}`}>
              {backend.status}
            </span>{" "}
            {backend.detail}
          </td>
          <td data-label="Latency">{backend.latency_ms.toFixed(1)} ms</td>
        </tr>
      ))}
    </tbody>
  </table>
)

/** The console's first page: the health of every backend as the gateway sees it, and the console's views. */
export const Overview = () => {
  const health = useLoad(() => shop.health.check(), [])
  useEffect(() => {
    const timer = setInterval(health.reload, 5_000)
    return () => clearInterval(timer)
  }, [health.reload])
  return (
    <section>
      <h1 tabIndex={-1}>Overview</h1>
      <h2>Backends</h2>
      {health.data !== undefined && (
        <p>
          Platform <span class={`badge status-${health.data.status === "ok" ? "confirmed" : "pending"}`}>
            {health.data.status}
          </span>
        </p>
      )}
      <ProblemMessage problem={health.problem} />
      {health.data?.services !== undefined && <HealthTable services={health.data.services} />}
      {health.data !== undefined && health.data.services === undefined && (
        <p>The health of each backend is on the gateway's admin port (GET :9091/backends), never on the internet.</p>
      )}
      <h2>Views</h2>
      <ul class="view-list">
        <li>
          <Link href="/admin/products">Products</Link>: create products, change prices and stock.
        </li>
        <li>
          <Link href="/admin/orders">Orders</Link>: orders by status.
        </li>
        {Object.entries(operationsViews).map(([path, view]) => (
          <li key={path}>
            <Link href={`/admin/${path}`}>{view.title}</Link>: {view.what}.
          </li>
        ))}
      </ul>
    </section>
  )
}
