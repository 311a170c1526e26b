import { CreateProductRequest, type CreatedProduct } from "@shop/domain"
import { useState } from "preact/hooks"
import { type ApiProblem, shop } from "../api/Shop.ts"
import { ProblemMessage } from "../components/ProblemMessage.tsx"
import { decimalNumber, readForm, wholeNumber } from "../state/Fields.ts"
import { asProblem } from "../state/useLoad.ts"

const blank = { name: "", sku: "", category: "", price: "", inventory: "0", description: "" }
type Draft = typeof blank

/** A new product, checked against the contract before it is sent with `POST /api/v1/products`. */
export const ProductCreator = (props: { readonly token: string; readonly onCreated: (p: CreatedProduct) => void }) => {
  const [draft, setDraft] = useState<Draft>(blank)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [problem, setProblem] = useState<ApiProblem | undefined>(undefined)
  const [saving, setSaving] = useState(false)

  const create = async () => {
    const request = readForm(CreateProductRequest, {
      name: draft.name.trim(),
      sku: draft.sku.trim(),
      category: draft.category.trim(),
      price: decimalNumber(draft.price),
      inventory: wholeNumber(draft.inventory),
      ...(draft.description.trim() === "" ? {} : { description: draft.description.trim() })
    })
    if (!request.ok) return setErrors(request.errors)
    setErrors({})
    setSaving(true)
    setProblem(undefined)
    try {
      props.onCreated(await shop.products.create(props.token, request.value))
      setDraft(blank)
    } catch (error) {
      setProblem(asProblem(error))
    } finally {
      setSaving(false)
    }
  }

  const field = (name: keyof Draft, label: string, extra: Record<string, string | number> = {}) => (
    <label>
      {label}
      <input
        name={name}
        value={draft[name]}
        onInput={(event) => {
          setDraft({ ...draft, [name]: event.currentTarget.value })
          if (errors[name] !== undefined) setErrors(({ [name]: _fixed, ...rest }) => rest)
        }}
        aria-invalid={errors[name] !== undefined}
        {...extra}
      />
      {errors[name] !== undefined && <span class="field-error">{errors[name]}</span>}
    </label>
  )

  return (
    <form
      class="creator"
      aria-labelledby="new-product"
      onSubmit={(event) => {
        event.preventDefault()
        if (!saving) void create()
      }}
    >
      <h2 id="new-product">New product</h2>
      <div class="form-grid">
        {field("name", "Name")}
        {field("sku", "SKU")}
        {field("category", "Category")}
        {field("price", "Price", { inputMode: "decimal", placeholder: "29.99" })}
        {field("inventory", "Stock on hand", { type: "number", min: 0 })}
        {field("description", "Description")}
      </div>
      <button type="submit" disabled={saving}>{saving ? "Creating…" : "Create product"}</button>
      <ProblemMessage problem={problem} />
    </form>
  )
}
