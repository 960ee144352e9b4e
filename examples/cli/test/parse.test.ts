import fs from "node:fs"
import path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { fixtures, runBin, runCli } from "./support.js"

const round = path.join(fixtures, "socks.round.json")

describe("kaituan parse", () => {
  it("writes one intent per comment, in order", async () => {
    const input = fs.readFileSync(path.join(fixtures, "socks.comments.jsonl"), "utf8")
    const r = await runCli(["parse", "--round", round], input)
    expect(r.code).toBe(0)
    const out = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
    expect(out.map((o) => o.id)).toEqual(
      input
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).id)
    )
    expect(out[1]).toMatchObject({ id: "c2", intent: "order", lines: [{ sku: "SOCK-R", qty: 2 }] })
    expect(out[3]).toMatchObject({ id: "c4", intent: "review" })
    expect(out[5]).toMatchObject({ id: "c6", intent: "amend", lines: [{ sku: null, qty: 1 }] })
    expect(out[7]).toMatchObject({ id: "c8", intent: "cancel", lines: [] })
    expect(out[12]).toMatchObject({ id: "c13", intent: "none" })
    for (const o of out) expect(typeof o.reason).toBe("string")
  })

  it("reports the amount and last five digits of a payment", async () => {
    const r = await runCli(["parse", "--round", round], '{"id":"p1","text":"已匯款 980 後五碼12345"}\n')
    expect(JSON.parse(r.stdout)).toMatchObject({ id: "p1", intent: "payment", amount: 980, last5: "12345" })
  })

  it("lenient mode accepts a name with xN; marker mode sends it to review", async () => {
    const input = '{"id":"1","text":"紅色x2"}\n'
    const marker = JSON.parse((await runCli(["parse", "--round", round], input)).stdout)
    const lenient = JSON.parse((await runCli(["parse", "--round", round, "--mode", "lenient"], input)).stdout)
    expect(marker.intent).toBe("review")
    expect(lenient).toMatchObject({ intent: "order", lines: [{ sku: "SOCK-R", qty: 2 }] })
  })

  it("writes exactly what JSON.stringify writes, whatever the ids and texts hold", async () => {
    const ids: Array<string | number> = [
      "c1",
      'quote"d',
      "back\\slash",
      "新\u2028行",
      "\ud800lone",
      "",
      0,
      -0,
      1e21,
      12.5,
      "emoji 👍🏽"
    ]
    const texts = [
      '紅+1 "雙引號"',
      "\u0007 bell +2",
      "\ud83d alone 白+1",
      "已匯款 980 後五碼12345",
      "+1\n第二行",
      "tab\t+1"
    ]
    const input = ids.map((id, i) => JSON.stringify({ id, text: texts[i % texts.length] })).join("\n")
    const r = await runCli(["parse", "--round", round], input)
    expect(r.code).toBe(0)
    const lines = r.stdout.split("\n").slice(0, -1)
    expect(lines).toHaveLength(ids.length)
    lines.forEach((l, i) => {
      expect(l).toBe(JSON.stringify(JSON.parse(l)))
      expect(JSON.parse(l).id === ids[i]).toBe(true) // -0 is written 0, as JSON.stringify writes it
    })
  })

  it("names the line of a bad comment and exits 2", () => {
    const r = runBin(["parse", "--round", round], { input: '{"id":"1","text":"紅+1"}\nnot json\n' })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("<stdin> line 2")
  })

  it("writes every line whole and in order across many output buffers, long lines included", async () => {
    // Many lines of multi-byte text, and reasons longer than an output buffer (a 20,000-character
    // comment quoted in its reason): the output is exactly one JSON line per comment.
    const texts = ["紅色+1 謝謝", "白+2", "已匯款 980 後五碼12345", "+1不了"]
    const long = `${"很長的留言".repeat(4000)}+1`
    const text = (i: number) => (i % 7919 === 0 ? long : texts[i % texts.length])
    const input = Array.from({ length: 30_000 }, (_, i) => JSON.stringify({ id: `c${i}`, text: text(i) })).join("\n")
    const r = await runCli(["parse", "--round", round], input)
    expect(r.code).toBe(0)
    const lines = r.stdout.split("\n")
    expect(lines.pop()).toBe("")
    expect(lines).toHaveLength(30_000)
    lines.forEach((l, i) => {
      expect(l).toBe(JSON.stringify(JSON.parse(l)))
      expect(JSON.parse(l).id).toBe(`c${i}`)
    })
  })
})
