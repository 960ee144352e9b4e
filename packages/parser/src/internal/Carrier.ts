/**
 * The `carrier` intent: a buyer telling us where their e-invoice goes (docs/parsing.md, 載具).
 * Recognised before anything else, so a carrier message is never an order: `載具 /ABC+123`,
 * `手機條碼：/abc1234`, `捐贈碼 168001`, `統編 12345678`, or a bare mobile barcode `/ABC+123`.
 * A carrier word with a code of the wrong format is still `carrier` (no `carrier` field: the buyer
 * is told the format); a carrier with anything else in the comment (`紅+2 載具/ABC+123`) goes to
 * review, so its order is decided by the organiser rather than dropped or guessed.
 */
import type { ParseResult } from "@kaituan/core"

/** Full-width ASCII (Ａ１＋／) and the ideographic space folded to ASCII, one UTF-16 unit each (offsets stay). */
const foldWidth = (text: string): string =>
  text.replace(/[\uff01-\uff5e\u3000]/g, (c) => (c === "\u3000" ? " " : String.fromCharCode(c.charCodeAt(0) - 0xfee0)))

const SEP = String.raw`\s*[:=]?\s*(?:是|為|:)?\s*`
/** A code as buyers type it: ASCII letters, digits and `. + - /` (checked for its format afterwards). */
const CODE = String.raw`([0-9A-Za-z.+\-/]+)`
const MOBILE = new RegExp(`(手機條碼載具|手機條碼|手機載具|條碼載具|載具)${SEP}${CODE}`, "g")
const LOVE = new RegExp(`(捐贈碼|愛心碼)${SEP}${CODE}`, "g")
const TAX = new RegExp(`(統一編號|統編)${SEP}${CODE}`, "g")
const BARE = /^\s*(\/[0-9A-Za-z.+-]{7})\s*$/
/** Any carrier word: without a code after it, the comment is read as usual. */
const WORD = /載具|手機條碼|捐贈碼|愛心碼|統一編號|統編/
/** What may stand around a carrier in a carrier-only comment: spaces, punctuation, polite words. */
const FILLER =
  /[\s\p{P}\p{S}~]|我的|麻煩|幫我|請|謝謝|感謝|以下|發票|開立|開|用|存|給|我|的|喔|哦|唷|囉|呦|唷|哈|嗨|您好|你好/gu

const MOBILE_OK = /^\/[0-9A-Z.+-]{7}$/
const LOVE_OK = /^[0-9]{3,7}$/
const TAX_OK = /^[0-9]{8}$/

/** A character every carrier comment has (a barcode's `/`, or the first of a carrier word's). */
const MAYBE = /[/\uff0f載條捐愛統]/

/** The verdict on a carrier comment, or undefined when the comment gives no carrier. */
export const carrierOf = (text: string): ParseResult.ParseResult | undefined => {
  // most comments have none of these: one scan, nothing allocated
  if (!MAYBE.test(text)) return undefined
  const t = foldWidth(text)
  const bare = BARE.exec(t)
  if (bare !== null) {
    const barcode = bare[1]!.toUpperCase()
    const start = t.indexOf(bare[1]!)
    const span: ParseResult.Span = { start, end: start + bare[1]!.length, kind: "carrier" }
    return MOBILE_OK.test(barcode)
      ? {
          intent: "carrier",
          lines: [],
          reason: "invoice carrier (手機條碼)",
          spans: [span],
          carrier: { mobileBarcode: barcode }
        }
      : undefined
  }
  if (!WORD.test(t)) return undefined
  const spans: Array<ParseResult.Span> = []
  const found: { mobileBarcode?: string; loveCode?: string; taxId?: string } = {}
  let malformed = false
  const take = (re: RegExp, ok: RegExp, key: "mobileBarcode" | "loveCode" | "taxId", mobile: boolean) => {
    re.lastIndex = 0
    for (let m = re.exec(t); m !== null; m = re.exec(t)) {
      // a mobile barcode typed without its leading `/` (ABC+123) is still one
      const code = mobile ? (m[2]!.startsWith("/") ? m[2]! : `/${m[2]!}`).toUpperCase() : m[2]!
      spans.push({ start: m.index, end: m.index + m[0].length, kind: "carrier" })
      if (ok.test(code)) found[key] = code
      else malformed = true
    }
  }
  take(MOBILE, MOBILE_OK, "mobileBarcode", true)
  take(LOVE, LOVE_OK, "loveCode", false)
  take(TAX, TAX_OK, "taxId", false)
  if (spans.length === 0) return undefined
  spans.sort((a, b) => a.start - b.start)
  let rest = ""
  let at = 0
  for (const s of spans) {
    if (s.start > at) rest += t.slice(at, s.start)
    at = Math.max(at, s.end)
  }
  rest += t.slice(at)
  if (rest.replace(FILLER, "") !== "")
    return {
      intent: "review",
      lines: [],
      reason: "an invoice carrier (載具) and something else in one comment",
      spans,
      likely: "order"
    }
  // a love code and a company's 統編 never go together (a donated invoice has no buyer company)
  if (found.loveCode !== undefined && found.taxId !== undefined) malformed = true
  if (malformed || (found.mobileBarcode === undefined && found.loveCode === undefined && found.taxId === undefined))
    return { intent: "carrier", lines: [], reason: "invoice carrier (載具) in a format that is not valid", spans }
  return { intent: "carrier", lines: [], reason: "invoice carrier (載具)", spans, carrier: found }
}
