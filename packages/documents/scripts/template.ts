/**
 * Writes the example catalogue workbook (`Catalogue.template()`) to a file:
 * `pnpm --filter @kaituan/documents template [OUT.xlsx]` (default: the CLI's fixture,
 * examples/cli/fixtures/catalogue.xlsx, which docs/catalogue-sheet.md and the tests read).
 */
import fs from "node:fs"
import path from "node:path"
import { Effect } from "effect"
import { Catalogue } from "../src/index.js"

const out = path.resolve(
  process.argv[2] ?? path.join(import.meta.dirname, "../../../examples/cli/fixtures/catalogue.xlsx")
)
fs.writeFileSync(out, await Effect.runPromise(Catalogue.template()))
console.log(`wrote ${out}`)
