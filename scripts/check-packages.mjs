#!/usr/bin/env node
// `pnpm check:packages`: checks the tarballs users install, not the workspace. Builds every
// published package, `pnpm pack`s each into a temporary folder, and on each tarball runs
//   - publint --strict (package.json fields against the files: exports, types, main/module…; its
//     warnings count as errors),
//   - attw, "Are the types wrong?" (every entry point resolved as TypeScript does under node10,
//     node16 from CommonJS, node16 from ESM and bundler: no "Masquerading as ESM/CJS", no missing
//     types, named exports that CommonJS really has),
//   - a few checks of ours: LICENSE and README in the tarball, no `workspace:`/`catalog:` left in
//     the packed package.json, `engines.node`, no `repository` placeholder, every `exports` entry
//     with separate import and require conditions whose files are in the tarball.
// attw runs on pnpm's tarball (not `attw --pack`, which packs with npm and would check the
// development `exports` that point at src/).
// Exits 1 on any problem. `--no-build` skips the build (CI builds once before).
import fs from "node:fs"
import path from "node:path"
import { buildPackages, packAll, removeDir, root, run, seconds, tempDir } from "./lib/packages.mjs"

const started = Date.now()
const args = process.argv.slice(2)
if (!args.includes("--no-build") && !buildPackages()) {
  console.error("check:packages: the build failed")
  process.exit(1)
}
const bin = (name) => path.join(root, "node_modules/.bin", name)
const dest = tempDir("kaituan-packs")
const problems = []
try {
  const packs = packAll(dest)
  for (const pkg of packs) {
    console.log(`\n▶ ${pkg.name} (${path.basename(pkg.tarball)}, ${pkg.files.length} files)`)
    const own = ownChecks(pkg)
    for (const p of own) problems.push(`${pkg.name}: ${p}`)
    console.log(own.length === 0 ? "  tarball: ok" : `  tarball: ${own.length} problem(s)\n    ${own.join("\n    ")}`)

    const publint = run(bin("publint"), ["run", pkg.tarball, "--strict", "--pack", "false"])
    const publintText = (publint.stdout + publint.stderr).trim()
    // publint prints suggestions too and still exits 0: a suggestion is a problem here as well.
    const publintDirty = publint.status !== 0 || /\b(Suggestion|Warning|Error)s?:/i.test(publintText)
    if (publintDirty) problems.push(`${pkg.name}: publint`)
    console.log(`  publint ${publintDirty ? "FAILED" : "ok"} (${seconds(publint.ms)})`)
    if (publintDirty) console.log(indent(publintText))

    const attw = run(bin("attw"), [pkg.tarball, "--format", "table-flipped", "--no-emoji", "--no-color"])
    if (attw.status !== 0) problems.push(`${pkg.name}: attw`)
    console.log(`  attw ${attw.status === 0 ? "ok" : "FAILED"} (${seconds(attw.ms)})`)
    if (attw.status !== 0 || process.env.KAITUAN_VERBOSE) console.log(indent((attw.stdout + attw.stderr).trim()))
  }
} catch (e) {
  problems.push(String(e?.message ?? e))
  console.error(String(e?.stack ?? e))
} finally {
  removeDir(dest)
}
console.log(
  `\ncheck:packages: ${problems.length === 0 ? "ok" : `${problems.length} problem(s)`} in ${seconds(Date.now() - started)}`
)
for (const p of problems) console.log(`  - ${p}`)
process.exit(problems.length === 0 ? 0 : 1)

function indent(text) {
  return text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n")
}

function ownChecks(pkg) {
  const out = []
  const files = new Set(pkg.files)
  const r = run("tar", ["-xzOf", pkg.tarball, "package/package.json"])
  if (r.status !== 0) return [`cannot read package.json from the tarball: ${r.stderr}`]
  const m = JSON.parse(r.stdout)
  for (const f of ["LICENSE", "README.md", "package.json"]) if (!files.has(f)) out.push(`${f} is not in the tarball`)
  const license = run("tar", ["-xzOf", pkg.tarball, "package/LICENSE"]).stdout
  if (m.license !== "MIT" || !/^MIT License/.test(license)) out.push("license: MIT with its LICENSE text expected")
  for (const field of ["dependencies", "peerDependencies", "optionalDependencies"])
    for (const [dep, spec] of Object.entries(m[field] ?? {}))
      if (/^(workspace|catalog):/.test(String(spec))) out.push(`${field}.${dep} is still "${spec}"`)
  if (!m.engines?.node) out.push("no engines.node")
  if (m.repository && /example\.invalid/.test(JSON.stringify(m.repository))) out.push("repository is a placeholder")
  if (!m.exports?.["./package.json"]) out.push('no "./package.json" export')
  for (const [key, value] of Object.entries(m.exports ?? {})) {
    if (key === "./package.json") continue
    for (const condition of ["import", "require"]) {
      const c = value?.[condition]
      if (!c || typeof c !== "object" || !c.types || !c.default) {
        out.push(`exports["${key}"].${condition} needs { types, default }`)
        continue
      }
      if (Object.keys(c)[0] !== "types") out.push(`exports["${key}"].${condition}.types must come first`)
      const wantTypes = condition === "import" ? /\.d\.ts$/ : /\.d\.cts$/
      const wantJs = condition === "import" ? /\.js$/ : /\.cjs$/
      if (!wantTypes.test(c.types)) out.push(`exports["${key}"].${condition}.types is ${c.types}`)
      if (!wantJs.test(c.default)) out.push(`exports["${key}"].${condition}.default is ${c.default}`)
      for (const f of [c.types, c.default])
        if (!files.has(f.replace(/^\.\//, ""))) out.push(`${f} is not in the tarball`)
    }
  }
  for (const field of ["main", "module", "types"])
    if (m[field] && !files.has(m[field].replace(/^\.\//, ""))) out.push(`${field}: ${m[field]} is not in the tarball`)
  // Every .d.ts has its .d.cts twin (CommonJS consumers get CommonJS types all the way down).
  for (const f of files)
    if (f.endsWith(".d.ts") && !files.has(f.replace(/\.d\.ts$/, ".d.cts")) && !isAmbient(pkg, f))
      out.push(`${f} has no .d.cts twin`)
  return out
}

// Hand-written ambient declarations (`declare module "…"`) are shared by both trees.
function isAmbient(pkg, file) {
  const src = path.join(pkg.dir, file.replace(/^dist\//, "src/"))
  return fs.existsSync(src)
}
