#!/usr/bin/env node
// The dependency audit (`pnpm audit:deps`, run by .ci/run): `pnpm audit` over every dependency of
// the workspace; fails on an advisory of high or critical severity. Where the registry's audit
// endpoint does not answer (some registries and mirrors answer HTTP 405), it says so loudly and
// exits 0: no audit was possible, which is not the same as a clean audit, and the output says
// which it was. KAITUAN_AUDIT_STRICT=1 turns "could not audit" into a failure too.
import { spawnSync } from "node:child_process"

const strict = process.env.KAITUAN_AUDIT_STRICT === "1"
const r = spawnSync("pnpm", ["audit", "--json"], { encoding: "utf8", timeout: 120_000, shell: false })
let report
try {
  report = JSON.parse(r.stdout)
} catch {
  report = undefined
}
if (report === undefined || report.error !== undefined) {
  const why =
    report?.error?.message ?? (r.error ? String(r.error.message) : (r.stderr || r.stdout || "no answer").trim())
  console.log("AUDIT NOT DONE: the registry's audit endpoint did not answer usefully.")
  console.log(`  ${why.split("\n")[0]}`)
  console.log("  No advisory was checked; run `pnpm audit` where the npm registry's audit endpoint answers.")
  process.exit(strict ? 1 : 0)
}
const counts = report.metadata?.vulnerabilities ?? {}
const advisories = Object.values(report.advisories ?? {})
console.log(
  `audit: ${report.metadata?.totalDependencies ?? "?"} dependencies; vulnerabilities ${JSON.stringify(counts)}`
)
for (const a of advisories)
  console.log(`  ${a.severity}: ${a.module_name} ${a.vulnerable_versions} — ${a.title} (${a.url ?? ""})`)
const serious = (counts.high ?? 0) + (counts.critical ?? 0)
if (serious > 0) {
  console.log(`audit: ${serious} high or critical advisories`)
  process.exit(1)
}
console.log("audit: no high or critical advisory")
