/**
 * The properties docs/parsing.md requires, checked with fast-check: total, linear, invariant under
 * width and script folding, round trip of generated orders, and safety.
 */
import { describe, expect, it } from "@effect/vitest"
import type { Catalogue, ParseResult } from "@kaituan/core"
import fc from "fast-check"
import * as OpenCC from "opencc-js"
import { Normalize, Parser } from "../src/index.js"
import { K_CANCEL, K_PAY, keywords } from "../src/internal/Keywords.js"
import { ops } from "../src/internal/Lexer.js"
import * as C from "./catalogues.js"

// PARSER_FC_RUNS=5000 for a deeper search than the default 100 runs per property.
if (process.env["PARSER_FC_RUNS"] !== undefined) fc.configureGlobal({ numRuns: Number(process.env["PARSER_FC_RUNS"]) })

const catalogueList: ReadonlyArray<readonly [string, Catalogue.Catalogue]> = [
  ["single", C.single],
  ["colours", C.colours],
  ["sizes", C.sizes],
  ["numbered", C.numbered],
  ["codes", C.codes],
  ["mixed", C.mixed]
]
const modes = ["marker", "lenient"] as const
const parsers = catalogueList.flatMap(([name, catalogue]) =>
  modes.map((mode) => ({
    name: `${name}/${mode}`,
    mode,
    catalogue,
    p: Parser.compile({ catalogue, settings: { mode } })
  }))
)
const intents = ["order", "amend", "cancel", "payment", "review", "none", "carrier"]

/** Every name a catalogue answers to (products, aliases, option values and aliases, #N). */
const vocabularyOf = (cat: Catalogue.Catalogue): Array<string> => {
  const out: Array<string> = []
  for (const p of cat.products) {
    out.push(p.spec.name, ...(p.spec.aliases ?? []), `#${p.number}`)
    for (const values of Object.values(p.spec.options ?? {}))
      for (const [v, aliases] of Object.entries(values)) out.push(v, ...aliases)
  }
  return out
}

const words = [
  "+1",
  "＋２",
  "加一",
  "+3️⃣",
  "x2",
  "×2",
  "2個",
  "兩份",
  "各",
  "各+1",
  "包色+1",
  "-1",
  "減一",
  "改+3",
  "改成2",
  "取消",
  "不要了",
  "我不+1了",
  "已匯款",
  "後五碼12345",
  "980元",
  "$120",
  "還有嗎",
  "嗎",
  "？",
  "?",
  "如果",
  "的話",
  "我要",
  "我也",
  "幫",
  "@小美",
  "謝謝",
  "🙏",
  "😍",
  "7-11",
  "12/5",
  "0912345678",
  "十1",
  "好可愛",
  "紫色",
  "號",
  "，",
  "、",
  " ",
  "\n",
  "１",
  "二十",
  "Ｌ",
  "ＸＬ"
]

const vocabText = (cat: Catalogue.Catalogue) =>
  fc.array(fc.constantFrom(...vocabularyOf(cat), ...words), { maxLength: 8 }).map((xs) => xs.join(""))

/** Any UTF-16 code units: lone surrogates, controls, everything. */
const anyUnits = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 60 })
  .map((cs) => String.fromCharCode(...cs))
const anyText = fc.oneof(anyUnits, fc.string({ unit: "binary", maxLength: 40 }), fc.string({ maxLength: 40 }))

const checkShape = (text: string, r: ParseResult.ParseResult): void => {
  expect(intents).toContain(r.intent)
  expect(typeof r.reason).toBe("string")
  expect(r.reason.length).toBeGreaterThan(0)
  for (const s of r.spans) {
    expect(s.start).toBeGreaterThanOrEqual(0)
    expect(s.end).toBeLessThanOrEqual(text.length)
    expect(s.start).toBeLessThan(s.end)
  }
  for (const l of r.lines) {
    expect(Number.isInteger(l.qty) && l.qty >= 0).toBe(true)
  }
  if (r.intent === "review") expect(r.likely).toBeDefined()
  if (r.last5 !== undefined) expect(r.last5).toMatch(/^\d{5}$/)
}

describe("total", () => {
  it("any string: never throws, exactly one intent", () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 0, max: 11 }), (text, k) => {
        const { p } = parsers[k]!
        checkShape(text, p.parse(text))
      })
    )
  })
  it("vocabulary soup: never throws, exactly one intent", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 11 }).chain((k) => fc.tuple(fc.constant(k), vocabText(parsers[k]!.catalogue))),
        ([k, text]) => {
          checkShape(text, parsers[k]!.p.parse(text))
        }
      )
    )
  })
  it("long and adversarial strings stay linear (operation count)", () => {
    const { p } = parsers[4]!
    const seeds = [
      "韓國毛",
      "+1",
      "紅白各",
      "十",
      "1️⃣",
      "A1A",
      "海綿2入",
      "呢",
      "改",
      "9",
      "@",
      "x",
      "一二",
      "\uD800",
      "包"
    ]
    for (const seed of seeds) {
      const measure = (k: number): number => {
        ops[0] = 0
        const r = p.parse(seed.repeat(k))
        expect(intents).toContain(r.intent)
        return ops[0]!
      }
      const small = measure(500)
      const large = measure(2000)
      // 4× the text → at most ~4× the work (plus slack), and a bounded cost per code unit.
      expect(large).toBeLessThanOrEqual(small * 4.5 + 100)
      expect(large / (seed.length * 2000)).toBeLessThan(100)
    }
  })
  it("operation count per code unit is bounded", () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 1, max: 30 }), (text, k) => {
        const { p } = parsers[5]!
        const s = text.repeat(k)
        ops[0] = 0
        p.parse(s)
        expect(ops[0]!).toBeLessThanOrEqual(100 * (s.length + 1))
      })
    )
  })
})

/** Full-width → half-width: FF01–FF5E → 21–7E, ideographic space → space. */
const halfWidth = (s: string): string =>
  s.replace(/[\uff01-\uff5e\u3000]/g, (ch) => (ch === "\u3000" ? " " : String.fromCharCode(ch.charCodeAt(0) - 0xfee0)))
/** Half-width → full-width (the other direction, for generating). */
const fullWidth = (s: string): string =>
  s.replace(/[\x21-\x7e]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0))
const toSimplified = OpenCC.Converter({ from: "tw", to: "cn" })

const sameResult = (a: ParseResult.ParseResult, b: ParseResult.ParseResult, sameLength: boolean): void => {
  expect(b.intent).toBe(a.intent)
  expect(b.lines).toEqual(a.lines)
  expect(b.likely).toBe(a.likely)
  expect(b.amount).toBe(a.amount)
  expect(b.last5).toBe(a.last5)
  expect(Normalize.fold(b.reason)).toBe(Normalize.fold(a.reason))
  if (sameLength) expect(b.spans).toEqual(a.spans)
}

describe("invariance", () => {
  const textFor = fc.integer({ min: 0, max: 11 }).chain((k) =>
    fc.tuple(
      fc.constant(k),
      fc.array(
        fc
          .tuple(fc.constantFrom(...vocabularyOf(parsers[k]!.catalogue), ...words), fc.boolean())
          .map(([w, wide]) => (wide ? fullWidth(w) : w)),
        { maxLength: 8 }
      )
    )
  )
  it("full-width → half-width never changes the result", () => {
    fc.assert(
      fc.property(textFor, ([k, parts]) => {
        const { p } = parsers[k]!
        const text = parts.join("")
        const folded = halfWidth(text)
        sameResult(p.parse(text), p.parse(folded), folded.length === text.length)
      })
    )
  })
  it("Traditional → Simplified never changes the result", () => {
    fc.assert(
      fc.property(textFor, ([k, parts]) => {
        const { p } = parsers[k]!
        const text = parts.join("")
        const simplified = toSimplified(text)
        sameResult(p.parse(text), p.parse(simplified), simplified.length === text.length)
      })
    )
  })
  it("folds the examples of PARSING.md", () => {
    expect(Normalize.fold("紅")).toBe(Normalize.fold("红"))
    expect(Normalize.fold("Ａ")).toBe(Normalize.fold("a"))
    expect(Normalize.fold("＋１")).toBe("+1")
    expect(Normalize.equivalent("還有嗎", "还有吗")).toBe(true)
  })
})

// ── round trip ──

interface Sellable {
  readonly sku: string
  /** Ways to name it: each a list of alternatives for each part (rendered in any order). */
  readonly parts: ReadonlyArray<ReadonlyArray<string>>
  readonly prefix: ReadonlyArray<string>
}

const sellables = (cat: Catalogue.Catalogue): Array<Sellable> =>
  cat.skus.map((s) => {
    const product = cat.products[s.productNumber - 1]!
    const productNames = [s.productName, ...s.productAliases, `#${s.productNumber}`]
    if (Object.keys(s.options).length === 0) return { sku: s.sku, parts: [productNames], prefix: [] }
    const parts = Object.entries(s.options).map(([dim, value]) => [
      value,
      ...(product.spec.options?.[dim]?.[value] ?? [])
    ])
    return { sku: s.sku, parts, prefix: productNames }
  })

const isAsciiWord = (ch: string | undefined) => ch !== undefined && /[A-Za-z0-9]/.test(ch)
/** Joins names, with a space where two ASCII words would otherwise merge. */
const join = (xs: ReadonlyArray<string>, spaces: ReadonlyArray<boolean>): string =>
  xs.reduce(
    (acc, x, i) =>
      acc === "" ? x : acc + (spaces[i] || (isAsciiWord(acc.at(-1)) && isAsciiWord(x[0])) ? " " : "") + x,
    ""
  )

const nameArb = (s: Sellable) =>
  fc
    .tuple(
      fc.tuple(...s.parts.map((alts) => fc.constantFrom(...alts))),
      fc.boolean(),
      s.prefix.length > 0 ? fc.option(fc.constantFrom(...s.prefix), { nil: undefined }) : fc.constant(undefined),
      fc.array(fc.boolean(), { minLength: 4, maxLength: 4 })
    )
    .map(([parts, reversed, prefix, spaces]) => {
      const ordered = reversed ? [...parts].reverse() : parts
      return join(prefix === undefined ? ordered : [prefix, ...ordered], spaces)
    })

const cn = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"]
const chinese = (n: number): string =>
  n < 10 ? (n === 2 ? "兩" : cn[n]!) : n < 20 ? `十${cn[n - 10]}` : `${cn[Math.floor(n / 10)]}十${cn[n % 10]}`
const keycap = (n: number): string => [...String(n)].map((d) => `${d}\uFE0F\u20E3`).join("")

type Phrasing = (name: string, n: number) => string
const endsWithDigit = (s: string) => /[0-9０-９]$/.test(s)
const markerPhrasings: ReadonlyArray<Phrasing> = [
  (a, n) => `${a}+${n}`,
  (a, n) => `${a} +${n}`,
  (a, n) => `${a}＋${fullWidth(String(n))}`,
  (a, n) => `${a}+ ${n}`,
  (a, n) => `${a}加${chinese(n)}`,
  (a, n) => `${a}+${chinese(n)}`,
  (a, n) => `${a}+${keycap(n)}`,
  (a, n) => `${a}+${n}個`
]
const lenientPhrasings: ReadonlyArray<Phrasing> = [
  ...markerPhrasings,
  (a, n) => `${a}x${n}`,
  (a, n) => `${a} X${n}`,
  (a, n) => `${a}×${n}`,
  (a, n) => `${a}✖${n}`,
  (a, n) => `${a}*${n}`,
  (a, n) => `${a}＊${n}`,
  (a, n) => `${a}${endsWithDigit(a) ? " " : ""}${n}份`,
  (a, n) => `${a} ${chinese(n)}個`,
  (a, n) => `${a}${endsWithDigit(a) ? " " : ""}${n}盒`
]
const separators = [" ", "，", "、", "\n", ";", " / ", ", "]

const orderArb = (cat: Catalogue.Catalogue, mode: "marker" | "lenient") => {
  const all = sellables(cat)
  const phrasings = mode === "marker" ? markerPhrasings : lenientPhrasings
  return fc
    .shuffledSubarray(all, { minLength: 1, maxLength: Math.min(3, all.length) })
    .chain((picked) =>
      fc.tuple(
        fc.tuple(
          ...picked.map((s) =>
            fc.tuple(fc.constant(s.sku), nameArb(s), fc.integer({ min: 1, max: 50 }), fc.constantFrom(...phrasings))
          )
        ),
        fc.constantFrom(...separators),
        fc.boolean()
      )
    )
    .map(([lines, sep, markerFirst]) => {
      const text =
        lines.length === 1 && markerFirst && mode === "marker"
          ? `+${lines[0]![2]} ${lines[0]![1]}`
          : lines.map(([, name, n, phrase]) => phrase(name, n)).join(sep)
      return { text, lines: lines.map(([sku, , n]) => ({ sku, qty: n })) }
    })
}

describe("round trip", () => {
  for (const { name, mode, catalogue, p } of parsers) {
    it(`${name}: generated orders parse back to the same lines`, () => {
      fc.assert(
        fc.property(orderArb(catalogue, mode), (o) => {
          const r = p.parse(o.text)
          expect({ text: o.text, intent: r.intent, reason: r.reason }).toMatchObject({ intent: "order" })
          expect(r.lines).toEqual(o.lines)
        })
      )
    })
  }
  it("各 and 包色 spread over colours", () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray(["紅", "白", "黑"], { minLength: 2 }),
        fc.integer({ min: 1, max: 50 }),
        fc.constantFrom(...modes),
        (colours, n, mode) => {
          const p = Parser.compile({ catalogue: C.colours, settings: { mode } })
          const sku = { 紅: "SOCK-R", 白: "SOCK-W", 黑: "SOCK-B" } as Record<string, string>
          expect(p.parse(`${colours.join("")}各+${n}`).lines).toEqual(colours.map((c) => ({ sku: sku[c], qty: n })))
          if (mode === "lenient")
            expect(p.parse(`${colours.join("")}各${n}`).lines).toEqual(colours.map((c) => ({ sku: sku[c], qty: n })))
          const bundle = p.parse(`包色+${n}`)
          expect(bundle.intent).toBe("order")
          expect(bundle.lines).toEqual(["SOCK-R", "SOCK-W", "SOCK-B"].map((s) => ({ sku: s, qty: n })))
        }
      )
    )
  })
})

// ── safety ──

const folded = (words: ReadonlyArray<string>) => words.map((w) => Normalize.fold(w).replace(/\s+/g, ""))
const dangerWords = folded(keywords.filter(([k]) => k === K_CANCEL || k === K_PAY).flatMap(([, ws]) => ws))
const numeralChars = /[0-9〇零一二兩两三四五六七八九十百千]|\u20e3|\uD83D\uDD1F/
const hasNumber = (s: string): boolean => numeralChars.test(Normalize.fold(s))
const hasDangerWord = (s: string): boolean => {
  const f = Normalize.fold(s).replace(/\s+/g, "")
  return dangerWords.some((w) => f.includes(w)) || f.includes("后五码") || f.includes("末五码")
}

describe("safety", () => {
  for (const { name, mode, catalogue, p } of parsers) {
    it(`${name}: an order with a question mark is never an order`, () => {
      fc.assert(
        fc.property(orderArb(catalogue, mode), fc.constantFrom("?", "？", " ?", "嗎?"), (o, mark) => {
          expect(p.parse(o.text + mark).intent).not.toBe("order")
        })
      )
    })
  }
  const noNumberText = fc.integer({ min: 0, max: 11 }).chain((k) =>
    fc.tuple(
      fc.constant(k),
      fc
        .array(
          fc.oneof(
            fc.constantFrom(
              ...vocabularyOf(parsers[k]!.catalogue),
              ...words,
              "+",
              "＋",
              "x",
              "各",
              "包色",
              "改",
              "改成",
              "-",
              "加"
            ),
            fc.string({ maxLength: 4 })
          ),
          { maxLength: 10 }
        )
        .map((xs) => xs.join(""))
        .filter((s) => !hasNumber(s) && !hasDangerWord(s))
    )
  )
  it("no digit, numeral, keycap, cancel or payment word → never order, amend or cancel", () => {
    fc.assert(
      fc.property(noNumberText, ([k, text]) => {
        const r = parsers[k]!.p.parse(text)
        expect(["order", "amend", "cancel"]).not.toContain(r.intent)
      })
    )
  })
})
