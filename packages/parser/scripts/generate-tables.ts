/**
 * Writes `src/internal/TablesData.ts`, the parser's fold and class tables, from Unicode's data
 * (this Node.js's) and OpenCC's dictionaries (`src/internal/TablesBuild.ts`). Run it after
 * changing how the tables are built or updating opencc-js, from packages/parser:
 * `node --import tsx scripts/generate-tables.ts`; `test/tables.test.ts` checks the file is current.
 */
import fs from "node:fs"
import path from "node:path"
import { renderTablesData } from "../src/internal/TablesBuild.js"

const target = path.join(path.dirname(new URL(import.meta.url).pathname), "../src/internal/TablesData.ts")
fs.writeFileSync(target, renderTablesData())
console.log(`wrote ${target} (Unicode ${process.versions.unicode})`)
