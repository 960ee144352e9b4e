import fs from "node:fs"
import path from "node:path"
import { describe, expect, it } from "vitest"
import { classes, folds } from "../src/internal/Tables.js"
import { buildTables, renderTablesData } from "../src/internal/TablesBuild.js"
import { unicodeVersion } from "../src/internal/TablesData.js"

const firstDifference = (a: ArrayLike<number>, b: ArrayLike<number>): string | undefined => {
  for (let c = 0; c < 65536; c++)
    if (a[c] !== b[c]) return `U+${c.toString(16).padStart(4, "0")}: ${String(a[c])} ≠ ${String(b[c])}`
  return undefined
}

describe("the generated tables", () => {
  // The tables are generated ahead of time (scripts/generate-tables.ts) so that start-up does not
  // rebuild them; built again here from Unicode's and OpenCC's data, they must be the same.
  // Elsewhere than CI a Node with another Unicode version skips the comparison; CI pins Node 24,
  // whose Unicode the tables were generated with, and must never skip it.
  it("runs where the tables were generated (CI)", () => {
    if (process.env["CI"] !== undefined) expect(process.versions.unicode).toBe(unicodeVersion)
  })
  it.runIf(process.versions.unicode === unicodeVersion)("are the tables built from Unicode and OpenCC", () => {
    const built = buildTables()
    expect(firstDifference(folds(), built.fold)).toBeUndefined()
    expect(firstDifference(classes(), built.cls)).toBeUndefined()
    const file = fs.readFileSync(path.join(import.meta.dirname, "../src/internal/TablesData.ts"), "utf8")
    expect(file).toBe(renderTablesData())
  })

  it("fold every code unit to one code unit, idempotently, and never to or from a surrogate", () => {
    const f = folds()
    expect(f.length).toBe(65536)
    const wrong: Array<number> = []
    for (let c = 0; c < 65536; c++) {
      const surrogate = (x: number) => x >= 0xd800 && x < 0xe000
      if (f[f[c]!] !== f[c] || (surrogate(c) ? f[c] !== c : surrogate(f[c]!))) wrong.push(c)
    }
    expect(wrong).toEqual([])
  })

  it("keep the folds the parser relies on", () => {
    const f = (s: string) => String.fromCharCode(...Array.from(s, (ch) => folds()[ch.charCodeAt(0)]!))
    expect(f("紅色＋１ＡＢ")).toBe(f("红色+1ab"))
    expect(f("➕➖−–\u3000")).toBe("+--- ")
    expect(f("號碼顏")).toBe(f("号码颜"))
  })
})
