#!/usr/bin/env node
// Runs every benchmark (`packages/*/bench/*.bench.ts`, `examples/*/bench/*.bench.ts`) one after
// another with tsx. Each writes its own `bench/results/<name>.json`; this prints a summary.
import { spawnSync } from "node:child_process"
import fs from "node:fs"
import path from "node:path"

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..")
const only = process.argv.slice(2)
const files = []
for (const group of ["packages", "examples"]) {
  for (const dir of fs.readdirSync(path.join(root, group))) {
    const b = path.join(root, group, dir, "bench")
    if (!fs.existsSync(b)) continue
    for (const f of fs.readdirSync(b).sort()) if (f.endsWith(".bench.ts")) files.push(path.join(b, f))
  }
}
fs.mkdirSync(path.join(root, "bench/results"), { recursive: true })
let failed = 0
for (const f of files) {
  if (only.length > 0 && !only.some((o) => f.includes(o))) continue
  console.log(`\n▶ ${path.relative(root, f)}`)
  const r = spawnSync(process.execPath, ["--import", "tsx", "--expose-gc", f], { stdio: "inherit", cwd: root })
  if (r.status !== 0) failed++
}
console.log(`\nbenchmarks done; results in bench/results/${failed ? ` (${failed} failed)` : ""}`)
process.exit(failed ? 1 : 0)
