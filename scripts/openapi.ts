/**
 * The committed OpenAPI document, `docs/openapi.json`, generated from the REST contract (`ShopApi` in
 * `@shop/domain`): `npm run openapi` writes it, `npm run openapi -- --check` fails when the committed file differs
 * from what the contract generates (CI runs the same comparison in `packages/domain/test/OpenApiDocument.test.ts`).
 */
import { openApiDocumentText } from "@shop/domain/api/OpenApiDocumentation"
import { readFileSync, writeFileSync } from "node:fs"
import { resolve } from "node:path"

const path = resolve(import.meta.dirname, "../docs/openapi.json")
const text = await openApiDocumentText()

if (process.argv.includes("--check")) {
  let committed = ""
  try {
    committed = readFileSync(path, "utf8")
  } catch {
    // missing: reported below
  }
  if (committed !== text) {
    console.error("docs/openapi.json does not match the contract: run `npm run openapi` and commit the result")
    process.exit(1)
  }
  console.log("docs/openapi.json matches the contract")
} else {
  writeFileSync(path, text)
  console.log(`wrote docs/openapi.json (${text.length} bytes)`)
}
