/**
 * The command line as a new user meets it: round files read strictly, errors that say where and
 * what, flags and commands with "did you mean", and a quiet stop when the reader of the output
 * goes away.
 */
import { spawn } from "node:child_process"
import fs from "node:fs"
import path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { main } from "../src/main.js"
import { bin, fixtures, runBin, runIo, tmpDir } from "./support.js"

const socks = JSON.parse(fs.readFileSync(path.join(fixtures, "socks.round.json"), "utf8"))
const comment = '{"id":"1","text":"紅+1"}\n'

/** Writes a round file (JSON value or raw text) in a fresh directory; returns the directory. */
const roundIn = (content: unknown) => {
  const dir = tmpDir()
  fs.writeFileSync(path.join(dir, "r.json"), typeof content === "string" ? content : JSON.stringify(content, null, 2))
  return dir
}

const parseWith = (dir: string, argv: ReadonlyArray<string> = ["--round", "r.json"]) =>
  runIo(main, ["parse", ...argv], { cwd: dir, stdin: comment })

const edited = (f: (spec: any) => void) => {
  const spec = structuredClone(socks)
  f(spec)
  return spec
}

describe("round files are read strictly", () => {
  it("a misspelt key is refused, naming the key, where it is and the key meant", async () => {
    const dir = roundIn(
      edited((s) => {
        s.cutof = s.cutoff
        delete s.cutoff
        s.products[0].variants[0].stok = 3
        delete s.products[0].variants[0].stock
      })
    )
    const r = await parseWith(dir)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    expect(r.stderr).toContain("r.json: invalid round file")
    expect(r.stderr).toContain('cutof: unknown key "cutof" (did you mean "cutoff"?)')
    expect(r.stderr).toContain('products[0].variants[0].stok: unknown key "stok" (did you mean "stock"?)')
  })

  it("an unknown key with no close match lists the keys of its level", async () => {
    const r = await parseWith(roundIn(edited((s) => (s.products[2].colour = "blue"))))
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(
      /products\[2\]\.colour: unknown key "colour" \(the keys here are sku, name, aliases, price/
    )
  })

  it("the same refusal from every command that reads a round file", async () => {
    const dir = roundIn(edited((s) => (s.titel = "x")))
    const replay = await runIo(
      main,
      ["round", "replay", "--round", "r.json", "--comments", "c.jsonl", "--db", ":memory:"],
      {
        cwd: dir
      }
    )
    expect(replay.code).toBe(2)
    expect(replay.stderr).toContain('titel: unknown key "titel" (did you mean "title"?)')
  })

  it('"stock": -1 is one clear message that names the place and the value', async () => {
    const r = await parseWith(roundIn(edited((s) => (s.products[0].variants[1].stock = -1))))
    expect(r.code).toBe(2)
    const problems = r.stderr
      .split("\n")
      .slice(1)
      .filter((l) => l.trim() !== "")
    expect(problems).toEqual([
      "  products[0].variants[1].stock: Expected a value greater than or equal to 0 (it is -1)"
    ])
  })

  it("a missing required key says so", async () => {
    const r = await parseWith(roundIn(edited((s) => delete s.products[1].price)))
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("products[1].price: missing (it is required)")
  })

  it("JSON errors name the line and the column, without quoting the file", async () => {
    const r = await parseWith(roundIn('{\n  "id": "r1",\n  "title": "王小明的團",,\n}'))
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('kaituan: r.json: line 3, column 20: not valid JSON (unexpected ",")\n')
    const empty = await parseWith(roundIn(""))
    expect(empty.stderr).toContain("r.json: the file is empty")
  })

  it("a missing file is `cannot read …: no such file`, not a raw ENOENT", async () => {
    const dir = tmpDir()
    const round = await parseWith(dir, ["--round", "nope.json"])
    expect(round.code).toBe(2)
    expect(round.stderr).toBe("kaituan: cannot read the round file nope.json: no such file\n")
    const orders = await runIo(main, ["reconcile", "--orders", "o.json", "--statement", "s.csv"], { cwd: dir })
    expect(orders.stderr).toBe("kaituan: cannot read the orders file o.json: no such file\n")
    fs.writeFileSync(path.join(dir, "o.json"), "[]")
    const statement = await runIo(main, ["reconcile", "--orders", "o.json", "--statement", "s.csv"], { cwd: dir })
    expect(statement.stderr).toBe("kaituan: cannot read the statement s.csv: no such file\n")
    const directory = await parseWith(dir, ["--round", "."])
    expect(directory.stderr).toBe("kaituan: cannot read the round file .: it is a directory, not a file\n")
  })

  it("a comment that is not JSON names its line and column, without quoting it", async () => {
    const r = await runIo(main, ["parse", "--round", path.join(fixtures, "socks.round.json")], {
      stdin: `${comment}{"id": "2", "text": 王小明 0912345678}\n`
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('kaituan: <stdin> line 2, column 21: not JSON (unexpected "王")\n')
  })
})

describe("flags and commands", () => {
  it("an unknown flag: balanced quotes and did you mean", async () => {
    const r = await runIo(main, ["parse", "--roud", "r.json"])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      'kaituan: parse: unknown option --roud (did you mean --round?)\nRun "kaituan parse --help" for its options.\n'
    )
    const replay = await runIo(main, ["round", "replay", "--comment", "c.jsonl"])
    expect(replay.stderr).toContain("unknown option --comment (did you mean --comments?)")
    expect((await runIo(main, ["parse", "-x"])).stderr).toContain(
      "unknown option -x (the options are --round, --mode, --help, -h)"
    )
    const far = await runIo(main, ["reconcile", "--zzz"])
    expect(far.stderr).toContain(
      "unknown option --zzz (the options are --orders, --statement, --format, --json, --db, --round, --help, -h)"
    )
  })

  it("a flag without its value, a value given to a switch, a stray argument", async () => {
    expect((await runIo(main, ["parse", "--round"])).stderr).toContain("parse: --round needs a value")
    expect((await runIo(main, ["parse", "--round", "--mode", "marker"])).stderr).toContain(
      "--round needs a value, not the option --mode"
    )
    expect((await runIo(main, ["reconcile", "--json=yes"])).stderr).toContain("--json takes no value")
    const stray = await runIo(main, ["parse", "r.json"])
    expect(stray.code).toBe(2)
    expect(stray.stderr).toContain('unexpected argument "r.json" (this command takes only options: --round, --mode')
    const secret = await runIo(main, ["serve", "postgres://shop:s3cret@db.example/kaituan"])
    expect(secret.code).toBe(2)
    expect(secret.stderr).not.toContain("s3cret")
  })

  it("an unknown command: did you mean", async () => {
    const r = await runIo(main, ["pars"])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('kaituan: unknown command "pars" (did you mean "kaituan parse"?)')
    expect((await runIo(main, ["round", "replya"])).stderr).toContain('(did you mean "kaituan round replay"?)')
    expect((await runIo(main, ["constructor"])).code).toBe(2)
  })

  it("every command answers --help", async () => {
    for (const c of [["demo"], ["parse"], ["round", "replay"], ["reconcile"], ["serve"]]) {
      const r = await runIo(main, [...c, "--help"])
      expect(r.code, c.join(" ")).toBe(0)
      expect(r.stdout, c.join(" ")).toContain(`kaituan ${c.join(" ")}`)
    }
  })
})

/** Runs the built binary with its stdout read until the first chunk, then closed (`| head -c 1`). */
const readFirstChunkThenClose = (argv: ReadonlyArray<string>, input?: string) =>
  new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...argv], { stdio: ["pipe", "pipe", "pipe"] })
    let stderr = ""
    child.stderr.on("data", (d) => {
      stderr += d
    })
    child.stdout.once("data", () => child.stdout.destroy())
    child.stdin.on("error", () => {})
    child.stdin.end(input ?? "")
    child.once("close", (code, signal) => resolve({ code, signal, stderr }))
  })

describe("a reader that stops reading", () => {
  it("`kaituan demo | head` stops quietly with status 0", async () => {
    const r = await readFirstChunkThenClose(["demo", "--db", path.join(tmpDir(), "demo.db")])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
  }, 60_000)

  it("`kaituan parse … | head` stops quietly with status 0", async () => {
    const input = Array.from({ length: 20_000 }, (_, i) => `{"id":"c${i}","text":"紅+${(i % 5) + 1}"}`).join("\n")
    const r = await readFirstChunkThenClose(["parse", "--round", path.join(fixtures, "socks.round.json")], input)
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
  }, 60_000)

  it("the built binary still reports real errors with status 2", () => {
    const r = runBin(["parse", "--round", "nope.json"])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe("kaituan: cannot read the round file nope.json: no such file\n")
  })
})
