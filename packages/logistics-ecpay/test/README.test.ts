/**
 * The README's example runs as written (the package name pointed at the sources), and prints what
 * its comments say.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import path from "node:path"
import { describe, expect, it } from "@effect/vitest"

const pkg = path.resolve(import.meta.dirname, "..")
const root = path.resolve(pkg, "../..")

describe("README", () => {
  it("the example runs and prints what it says", () => {
    const readme = readFileSync(path.join(pkg, "README.md"), "utf8")
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(block).toBeDefined()
    const code = block!.replace('"@kaituan/logistics-ecpay"', JSON.stringify(path.join(pkg, "src/index.ts")))
    // Inside the package, so `@kaituan/core`, `effect`… resolve from its node_modules.
    const dir = mkdtempSync(path.join(pkg, ".readme-"))
    try {
      const file = path.join(dir, "example.ts")
      writeFileSync(file, code)
      const out = execFileSync(process.execPath, ["--import", "tsx", file], { cwd: root, encoding: "utf8" })
      expect(out.trim().split("\n")).toEqual([
        "https://logistics-stage.ecpay.com.tw/Express/map FAMIC2C",
        "006598 全家台北信義店",
        "arrived-at-store 2024-05-10T02:00:00.000Z",
        "1|OK"
      ])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
