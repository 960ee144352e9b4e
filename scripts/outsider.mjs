#!/usr/bin/env node
// `pnpm test:outsider`: kaituan as a stranger gets it. Packs every published package, creates a
// fresh npm project in a temporary folder and `npm install`s the tarballs with `effect@latest`,
// `@effect/sql-sqlite-node@latest` and `@effect/sql-pg@latest` (whatever the registry calls latest
// today: a new Effect that breaks us shows up here first), the catalog's TypeScript and
// @types/node. Then:
//   (a) every ```ts block of README.md and packages/*/README.md that imports a `@kaituan/*`
//       package or `kaituan` is written to its own file, all are compiled with `tsc --strict` (module nodenext)
//       and each is run with node. A block with `// outsider: compile-only` (it needs a server,
//       such as PostgreSQL, or runs until stopped) is only compiled.
//   (b) the Promise facade (@kaituan/core/promise with @kaituan/parser) runs from a plain ESM .mjs
//       file and from a CommonJS .cjs file (require), and prints what it should.
//   (c) a generated check: every entry point of every package is imported at run time (ESM and
//       require), its exports listed (namespaces and their members; the two module systems must
//       agree), and a .ts file referencing each one as a value (`Core.RoundSpec.RoundSpec`) is
//       compiled with `tsc --strict` as an ES module (module nodenext, "type": "module") and as
//       CommonJS (.cts files; .ts files in a package without "type": "module"; module nodenext,
//       node20, and node16 with skipLibCheck): a value the declarations dropped, or types
//       CommonJS cannot load, fail here.
// Exits 1 on any failure. `--no-build` skips the build; KAITUAN_KEEP_TMP=1 keeps the folder.
import fs from "node:fs"
import path from "node:path"
import { buildPackages, catalog, packAll, removeDir, root, run, seconds, tempDir } from "./lib/packages.mjs"

const started = Date.now()
const args = process.argv.slice(2)
const results = [] // { name, ok, detail }
const record = (name, ok, detail = "") => {
  results.push({ name, ok, detail })
  console.log(`  ${ok ? "ok  " : "FAIL"} ${name}${detail && !ok ? `\n${indent(detail, 8)}` : ""}`)
}
const finish = () => {
  const failed = results.filter((r) => !r.ok)
  console.log(
    `\noutsider: ${results.length - failed.length} passed, ${failed.length} failed in ${seconds(Date.now() - started)}`
  )
  for (const f of failed) console.log(`  - ${f.name}`)
  process.exit(failed.length === 0 && results.length > 0 ? 0 : 1)
}

if (!args.includes("--no-build") && !buildPackages()) {
  record("build", false, "the packages do not build")
  finish()
}

const work = tempDir("kaituan-outsider")
const app = path.join(work, "app")
try {
  main()
} catch (e) {
  record("outsider script", false, String(e?.stack ?? e))
} finally {
  removeDir(work)
}
finish()

function main() {
  // ── pack and install ────────────────────────────────────────────────────────────────────────
  console.log("▶ pack")
  const packsDir = path.join(work, "packs")
  fs.mkdirSync(packsDir, { recursive: true })
  const packs = packAll(packsDir)
  for (const p of packs) console.log(`  ${p.name}: ${path.basename(p.tarball)}`)

  const cat = catalog()
  const extra = [
    "effect@latest",
    "@effect/sql-sqlite-node@latest",
    "@effect/sql-pg@latest",
    `typescript@${cat.typescript}`,
    `@types/node@${cat["@types/node"]}`
  ]
  fs.mkdirSync(app, { recursive: true })
  write("package.json", JSON.stringify({ name: "kaituan-outsider", private: true, type: "module" }, null, 2))
  console.log(`\n▶ npm install (${packs.length} tarballs, ${extra.join(", ")})`)
  // A clean environment: no pnpm settings, nothing from the monorepo's node_modules on the path.
  const npmEnv = { ...process.env }
  for (const k of Object.keys(npmEnv)) if (/^(npm_|PNPM_|pnpm_)/i.test(k)) delete npmEnv[k]
  const install = run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--loglevel=error", ...packs.map((p) => p.tarball), ...extra],
    { cwd: app, env: npmEnv, timeout: 10 * 60_000 }
  )
  record(`npm install (${seconds(install.ms)})`, install.status === 0, install.stdout + install.stderr)
  if (install.status !== 0) return
  const version = (name) => JSON.parse(read(`node_modules/${name}/package.json`)).version
  console.log(
    `  installed: ${["effect", "@effect/sql-sqlite-node", "@effect/sql-pg", "typescript", "@types/node"]
      .map((n) => `${n}@${version(n)}`)
      .join(", ")}; node ${process.version}`
  )

  const tsc = path.join(app, "node_modules/typescript/bin/tsc")
  const compile = (config) => {
    write(`${config.name}.json`, JSON.stringify(config.json, null, 2))
    const r = run(process.execPath, [tsc, "-p", `${config.name}.json`, "--pretty", "false"], {
      cwd: app,
      env: npmEnv,
      timeout: 10 * 60_000
    })
    const errors = new Map() // file → messages
    let current
    for (const line of r.stdout.split("\n")) {
      if (!line.trim()) continue
      const m = /^(.+?)\(\d+,\d+\): error /.exec(line)
      // A message's continuation lines are indented: they belong to the error above.
      if (m) current = path.normalize(m[1])
      else if (!/^\s/.test(line) || current === undefined) current = "(global)"
      const list = errors.get(current) ?? []
      list.push(line)
      errors.set(current, list)
    }
    return { ...r, errors }
  }
  const strict = {
    strict: true,
    target: "es2023",
    lib: ["es2023"],
    types: ["node"],
    skipLibCheck: false,
    forceConsistentCasingInFileNames: true
  }

  // ── (a) README examples ─────────────────────────────────────────────────────────────────────
  console.log("\n▶ README examples")
  const blocks = readmeBlocks()
  fs.mkdirSync(path.join(app, "readme"), { recursive: true })
  for (const b of blocks) write(`readme/${b.id}.ts`, b.code)
  const readmeTsc = compile({
    name: "tsconfig.readme",
    json: {
      compilerOptions: {
        ...strict,
        module: "nodenext",
        moduleResolution: "nodenext",
        outDir: "readme-out",
        rootDir: "readme"
      },
      include: ["readme/*.ts"]
    }
  })
  console.log(`  tsc --strict over ${blocks.length} blocks: ${seconds(readmeTsc.ms)}`)
  for (const [file, lines] of readmeTsc.errors)
    if (!file.startsWith("readme/")) record(`README examples: tsc (${file})`, false, lines.join("\n"))
  for (const b of blocks) {
    const label = `README ${b.source}:${b.line} (${b.id})`
    const errs = readmeTsc.errors.get(path.normalize(`readme/${b.id}.ts`))
    if (errs) {
      record(`${label} compiles`, false, errs.join("\n"))
      continue
    }
    if (b.compileOnly) {
      record(`${label} compiles (compile-only)`, true)
      continue
    }
    const r = run(process.execPath, [`readme-out/${b.id}.js`], { cwd: app, env: npmEnv, timeout: 120_000 })
    const output = `${r.stdout}${r.stderr}`.trim()
    const detail = `${r.signal ? `killed (${r.signal}) after ${seconds(r.ms)}: it did not finish\n` : `exit ${r.status}\n`}${tail(output, 40)}`
    record(`${label} compiles and runs (${seconds(r.ms)})`, r.status === 0, detail)
    if (r.status === 0 && output) console.log(indent(tail(output, 8), 8))
  }

  // ── (b) the Promise facade from plain JavaScript ────────────────────────────────────────────
  console.log("\n▶ Promise facade from plain ESM and CommonJS")
  const expected = [
    "comment: ordered",
    "orders: 1; 王小明: CUP x2; total 900",
    "invalid round file: rejected true ParseError"
  ]
  write("facade.mjs", facadeSource("esm"))
  write("facade.cjs", facadeSource("cjs"))
  for (const file of ["facade.mjs", "facade.cjs"]) {
    const r = run(process.execPath, [file], { cwd: app, env: npmEnv, timeout: 120_000 })
    const lines = r.stdout.trim().split("\n")
    const ok = r.status === 0 && JSON.stringify(lines) === JSON.stringify(expected)
    record(
      `Promise facade: node ${file} (${seconds(r.ms)})`,
      ok,
      `exit ${r.status}; expected:\n${expected.join("\n")}\ngot:\n${tail(`${r.stdout}${r.stderr}`.trim(), 30)}`
    )
  }

  // ── (c) generated check: every run-time export is a value in the declarations ───────────────
  console.log("\n▶ generated check: Namespace.Member for every run-time export")
  const entries = packs.flatMap((p) => {
    const manifest = JSON.parse(read(`node_modules/${p.name}/package.json`))
    return Object.keys(manifest.exports ?? { ".": null })
      .filter((k) => k !== "./package.json")
      .map((k) => (k === "." ? p.name : `${p.name}/${k.slice(2)}`))
  })
  write("list-exports.mjs", listExportsSource())
  const listed = run(process.execPath, ["list-exports.mjs", ...entries], { cwd: app, env: npmEnv, timeout: 120_000 })
  if (listed.status !== 0) {
    record(
      "generated check: import every entry point (ESM and require)",
      false,
      tail(listed.stdout + listed.stderr, 40)
    )
    return
  }
  const exportsOf = JSON.parse(listed.stdout)
  for (const spec of entries) {
    const { esm, cjs } = exportsOf[spec]
    const flat = (e) =>
      e.error ? [`(error) ${e.error}`] : e.names.flatMap(([n, members]) => [n, ...members.map((m) => `${n}.${m}`)])
    const a = flat(esm)
    const b = flat(cjs)
    const onlyEsm = a.filter((x) => !b.includes(x))
    const onlyCjs = b.filter((x) => !a.includes(x))
    record(
      `generated check: ${spec} loads by import and require with the same ${a.length} exports`,
      !esm.error && !cjs.error && onlyEsm.length === 0 && onlyCjs.length === 0,
      [
        esm.error && `import: ${esm.error}`,
        cjs.error && `require: ${cjs.error}`,
        onlyEsm.length && `only in ESM: ${onlyEsm.join(", ")}`,
        onlyCjs.length && `only in CommonJS: ${onlyCjs.join(", ")}`
      ]
        .filter(Boolean)
        .join("\n")
    )
  }
  fs.mkdirSync(path.join(app, "gen"), { recursive: true })
  // gen-cjs/ is a package without "type": "module": its .ts files are CommonJS (a NestJS app).
  write("gen-cjs/package.json", JSON.stringify({ type: "commonjs" }))
  let references = 0
  for (const spec of entries) {
    const slug = spec.replace(/^@/, "").replace(/[^a-zA-Z0-9]+/g, "-")
    const names = exportsOf[spec].esm.names ?? []
    const refs = names.flatMap(([n, members]) => [access("M", n), ...members.map((m) => access(access("M", n), m))])
    references += refs.length
    const body = `// Generated by scripts/outsider.mjs from the run-time exports of ${spec}: each is used as a value.\nimport * as M from "${spec}"\n\nexport const values: ReadonlyArray<unknown> = [\n${refs.map((r) => `  ${r}`).join(",\n")}\n]\n`
    write(`gen/${slug}.ts`, body)
    write(`gen/${slug}.cts`, body)
    write(`gen-cjs/${slug}.ts`, body)
  }
  // Effect 4 is ESM-only, so CommonJS code uses it through require(esm) (Node >= 20.19 / 22.12),
  // which TypeScript models as module node20 / nodenext. Under module node16 (no require(esm))
  // no Effect 4 library type-checks with skipLibCheck off (TS1479 on `import … from "effect"`), so
  // that setting is checked the way such projects run it, with skipLibCheck (tsc --init's default).
  const setups = [
    { name: "tsconfig.gen-esm", label: "ES module .ts (module nodenext)", include: ["gen/*.ts"], module: "nodenext" },
    { name: "tsconfig.gen-cts", label: "CommonJS .cts (module nodenext)", include: ["gen/*.cts"], module: "nodenext" },
    {
      name: "tsconfig.gen-cjs",
      label: 'CommonJS .ts in a package without "type": "module" (module node20)',
      include: ["gen-cjs/*.ts"],
      module: "node20",
      moduleResolution: "nodenext"
    },
    {
      name: "tsconfig.gen-cts16",
      label: "CommonJS .cts (module node16, skipLibCheck)",
      include: ["gen/*.cts"],
      module: "node16",
      skipLibCheck: true
    }
  ]
  for (const s of setups) {
    const r = compile({
      name: s.name,
      json: {
        compilerOptions: {
          ...strict,
          module: s.module,
          moduleResolution: s.moduleResolution ?? s.module,
          skipLibCheck: s.skipLibCheck ?? false,
          noEmit: true
        },
        include: s.include
      }
    })
    const all = [...r.errors.values()].flat()
    record(
      `generated check: ${references} references compile as ${s.label} (${seconds(r.ms)})`,
      r.status === 0 && all.length === 0,
      tail(all.join("\n") || r.stdout + r.stderr, 60)
    )
  }
}

// ── helpers ───────────────────────────────────────────────────────────────────────────────────

function write(rel, text) {
  fs.mkdirSync(path.dirname(path.join(app, rel)), { recursive: true })
  fs.writeFileSync(path.join(app, rel), text.endsWith("\n") ? text : `${text}\n`)
}

function read(rel) {
  return fs.readFileSync(path.join(app, rel), "utf8")
}

function indent(text, n = 4) {
  return text
    .split("\n")
    .map((l) => `${" ".repeat(n)}${l}`)
    .join("\n")
}

function tail(text, n) {
  const lines = text.split("\n")
  return lines.length > n ? [`… (${lines.length - n} lines before)`, ...lines.slice(-n)].join("\n") : text
}

function access(base, name) {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `${base}.${name}` : `${base}[${JSON.stringify(name)}]`
}

/** The ```ts blocks of README.md and packages/*\/README.md that import a kaituan package. */
function readmeBlocks() {
  const sources = [
    "README.md",
    ...fs
      .readdirSync(path.join(root, "packages"))
      .sort()
      .map((d) => `packages/${d}/README.md`)
  ].filter((f) => fs.existsSync(path.join(root, f)))
  const out = []
  for (const source of sources) {
    const text = fs.readFileSync(path.join(root, source), "utf8")
    const re = /^```(ts|typescript)[^\n]*\n([\s\S]*?)^```\s*$/gm
    let n = 0
    for (const m of text.matchAll(re)) {
      const code = m[2]
      if (!/\bfrom\s+["'](@kaituan\/|kaituan["'])|require\(\s*["'](@kaituan\/|kaituan["'])/.test(code)) continue
      n++
      const line = text.slice(0, m.index).split("\n").length
      const where = source === "README.md" ? "root" : source.split("/")[1]
      out.push({ id: `${where}-${n}`, source, line, code, compileOnly: /\/\/\s*outsider:\s*compile-only/.test(code) })
    }
  }
  return out
}

function facadeSource(kind) {
  const body = `
const kaituan = createKaituan({ parser: Parser.service, predictableIds: true })
await kaituan.openRound({ id: "r1", title: "保溫杯", products: [{ sku: "CUP", name: "保溫杯", price: 450 }] })
const outcome = await kaituan.submitComment("r1", {
  channel: "line",
  commentId: "m1",
  author: { id: "U1", name: "王小明" },
  text: "+2",
  at: new Date().toISOString()
})
console.log(\`comment: \${outcome.status}\`)
const report = await kaituan.report("r1")
const order = report.orders[0]
const lines = order ? order.lines.map((l) => \`\${l.sku} x\${l.qty}\`).join(", ") : "none"
console.log(\`orders: \${report.orders.length}; \${order?.buyer.name}: \${lines}; total \${order?.total}\`)
let rejected = "no"
try {
  await kaituan.openRound({ title: "a round file without an id" })
} catch (e) {
  rejected = \`\${e instanceof KaituanError} \${e.code}\`
}
console.log(\`invalid round file: rejected \${rejected}\`)
await kaituan.dispose()
`
  if (kind === "esm")
    return `// Plain ESM JavaScript, no TypeScript, no Effect in sight.\nimport { createKaituan, KaituanError } from "@kaituan/core/promise"\nimport { Parser } from "@kaituan/parser"\n${body}`
  return `// Plain CommonJS: require() only.\n"use strict"\nconst { createKaituan, KaituanError } = require("@kaituan/core/promise")\nconst { Parser } = require("@kaituan/parser")\n\nconst main = async () => {${body
    .split("\n")
    .map((l) => (l ? `  ${l}` : l))
    .join("\n")}}\n\nmain().catch((e) => {\n  console.error(e)\n  process.exit(1)\n})\n`
}

function listExportsSource() {
  return `// Lists each entry point's run-time exports, as import() and as require() see them.
import { createRequire } from "node:module"

const require = createRequire(import.meta.url)
// A namespace (\`export * as X\`) is a plain object of getters (bundlers) or a Module object.
const isNamespace = (v) => {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false
  if (v[Symbol.toStringTag] === "Module") return true
  const proto = Object.getPrototypeOf(v)
  if (proto !== null && proto !== Object.prototype) return false
  const props = Object.values(Object.getOwnPropertyDescriptors(v)).filter((d) => d.enumerable)
  return props.length > 0 && props.every((d) => typeof d.get === "function")
}
const names = (mod) =>
  Object.keys(mod)
    .filter((k) => k !== "default" && k !== "__esModule" && k !== "module.exports")
    .sort()
    .map((k) => [k, isNamespace(mod[k]) ? Object.keys(mod[k]).filter((m) => m !== "default").sort() : []])
const out = {}
for (const spec of process.argv.slice(2)) {
  const entry = {}
  try {
    entry.esm = { names: names(await import(spec)) }
  } catch (e) {
    entry.esm = { error: String(e?.stack ?? e) }
  }
  try {
    entry.cjs = { names: names(require(spec)) }
  } catch (e) {
    entry.cjs = { error: String(e?.stack ?? e) }
  }
  out[spec] = entry
}
console.log(JSON.stringify(out))
`
}
