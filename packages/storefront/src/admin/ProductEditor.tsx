import { type ProductJson, type SearchHit, UpdateProductRequest } from "@shop/domain"
import { useState } from "preact/hooks"
import { type ApiProblem, shop } from "../api/Shop.ts"
import { formatPrice } from "../components/Price.tsx"
import { ProblemMessage } from "../components/ProblemMessage.tsx"
import { decimalNumber, readForm, wholeNumber } from "../state/Fields.ts"
import { asProblem } from "../state/useLoad.ts"

/** A product's price and stock, edited in place and saved with `PATCH /api/v1/products/{id}`. */
export const ProductEditor = (props: {
  readonly token: string
  readonly product: ProductJson | SearchHit
  readonly onSaved: (product: ProductJson) => void
  readonly onCancel: () => void
}) => {
  const { product } = props
  const [price, setPrice] = useState((product.price / 100).toFixed(2))
  const [inventory, setInventory] = useState(String(product.inventory))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [problem, setProblem] = useState<ApiProblem | undefined>(undefined)
  const [saving, setSaving] = useState(false)

  const save = async () => {
    const patch = readForm(UpdateProductRequest, { price: decimalNumber(price), inventory: wholeNumber(inventory) })
    if (!patch.ok) return setErrors(patch.errors)
    setErrors({})
    setSaving(true)
    setProblem(undefined)
    try {
      props.onSaved(await shop.products.update(props.token, product.id, patch.value))
    } catch (error) {
      setProblem(asProblem(error))
      setSaving(false)
    }
  }

  return (
    <form
      class="inline-editor"
      aria-label={`Edit ${product.name}`}
      onSubmit={(event) => {
        event.preventDefault()
        if (!saving) void save()
      }}
      onKeyDown={(event) => event.key === "Escape" && props.onCancel()}
    >
      <label>
        Price ({formatPrice(product.price, product.currency)} now)
        <input
          name="price"
          inputMode="decimal"
          value={price}
          onInput={(event) => setPrice(event.currentTarget.value)}
          aria-invalid={errors.price !== undefined}
          autoFocus
        />
        {errors.price !== undefined && <span class="field-error">{errors.price}</span>}
      </label>
      <label>
        Stock on hand
        <input
          name="inventory"
          type="number"
          min={0}
          value={inventory}
          onInput={(event) => setInventory(event.currentTarget.value)}
          aria-invalid={errors.inventory !== undefined}
        />
        {errors.inventory !== undefined && <span class="field-error">{errors.inventory}</span>}
      </label>
      <div class="actions">
        <button type="submit" disabled={saving}>{saving ? "Saving…" : "Save"}</button>
        <button type="button" class="secondary" onClick={props.onCancel}>Cancel</button>
      </div>
      <ProblemMessage problem={problem} />
    </form>
  )
}
