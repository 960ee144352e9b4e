#!/usr/bin/env node
// The dependency-direction check (ARCHITECTURE.md): core imports no adapter, driver or Node
// built-in; every other package depends on core and on no sibling package; the examples may
// use everything. Reads each package's package.json and the import specifiers of its sources.
// (A 40-line script instead of dependency-cruiser: the rule is small and the script has no setup.)
import fs from "node:fs"
import path from "node:path"

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..")
const problems = []
// Examples in TSDoc comments import the package by name: they are not imports.
const stripComments = (src) => src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "")
const importsOf = (dir) => {
  const out = []
  const walk = (d) => {
    for (const f of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, f.name)
      if (f.isDirectory()) walk(p)
      else if (/\.tsx?$/.test(f.name))
        for (const m of stripComments(fs.readFileSync(p, "utf8")).matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g))
          out.push([p, m[1]])
    }
  }
  if (fs.existsSync(dir)) walk(dir)
  return out
}
// Application-level packages that compose a sibling's application service besides core's:
// `@kaituan/http` (the back office) serves `@kaituan/reconcile`'s Payments and writes its
// exports with `@kaituan/documents`.
// `@kaituan/logistics-ecpay` signs with `@kaituan/payments-ecpay`'s CheckMacValue (one
// implementation of ECPay's MAC, not a copy).
const composes = {
  "@kaituan/http": ["@kaituan/reconcile", "@kaituan/documents"],
  "@kaituan/logistics-ecpay": ["@kaituan/payments-ecpay"]
}
for (const name of fs.readdirSync(path.join(root, "packages"))) {
  const dir = path.join(root, "packages", name)
  const pkgFile = path.join(dir, "package.json")
  if (!fs.existsSync(pkgFile)) continue
  const pkg = JSON.parse(fs.readFileSync(pkgFile, "utf8"))
  const declared = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })
  const allowed = new Set(["@kaituan/core", ...(composes[pkg.name] ?? [])])
  const siblings = declared.filter((d) => d.startsWith("@kaituan/") && !allowed.has(d))
  // `kaituan` is the all-in-one non-Effect SDK: like examples/, it composes every package.
  const allInOne = pkg.name === "kaituan"
  if (siblings.length > 0 && !allInOne)
    problems.push(`${pkg.name} depends on ${siblings.join(", ")}: adapters depend on core only`)
  if (
    name === "core" &&
    declared.some(
      (d) => d.startsWith("@kaituan/") || d.startsWith("@effect/sql") || d === "pg" || d === "better-sqlite3"
    )
  )
    problems.push("@kaituan/core must not depend on adapters or drivers")
  for (const [file, spec] of importsOf(path.join(dir, "src"))) {
    const rel = path.relative(root, file)
    if (spec.startsWith("@kaituan/") && !allInOne && (name === "core" || !allowed.has(spec)))
      problems.push(`${rel} imports ${spec}`)
    if (
      name === "core" &&
      (spec.startsWith("node:") || spec.startsWith("@effect/sql") || spec === "pg" || spec === "better-sqlite3")
    )
      problems.push(`${rel} imports ${spec}: core stays free of Node built-ins and drivers`)
    if (spec.startsWith("../../") && !spec.startsWith("../../node_modules"))
      problems.push(`${rel} reaches into another package: ${spec}`)
  }
}
if (problems.length > 0) {
  console.error(`dependency direction: ${problems.length} problem(s)\n  ${problems.join("\n  ")}`)
  process.exit(1)
}
console.log("dependency direction: ok")
