/**
 * PDF writing with [pdfkit](https://pdfkit.org) — loaded, with its fonts, the first time a PDF is
 * written (importing `@kaituan/documents` stays cheap) — and what slips and pick lists share:
 *
 * - the CJK fonts: Noto Sans TC (Traditional Chinese glyph forms first) and Noto Sans SC for what
 *   TC lacks (简体字), both from Google Fonts' TrueType builds on the npm registry; pdfkit embeds
 *   each as a subset of the glyphs used (fontkit), so a document carries a few hundred KB of font
 *   at most. Text is split into runs by the font that has each character; a character neither
 *   has (an emoji in a buyer's name) is left out.
 * - {@link Pen}: measured single-line text, truncation and wrapping by character width, and
 *   vector QR codes.
 * - {@link render}: a document written a batch at a time as a `Stream` of bytes; what pdfkit
 *   writes while a batch is drawn is emitted before the next batch is read, so memory holds one
 *   batch (plus the font subsets, written at the end).
 *
 * @internal
 */
import { createRequire } from "node:module"
import { readFile } from "node:fs/promises"
import { Effect, Stream } from "effect"
import type * as FontkitTypes from "fontkit"
import type { FontFiles } from "./fontFiles.js"
import type PDFKit from "pdfkit"
import type { QRCode as QRCodeModel } from "qrcode"
import { ERROR_CORRECTION, loadQr, type QrLib, segmentsOf } from "./qr.js"

/** pdfkit's document. */
export type Doc = PDFKit.PDFDocument

export type { FontFiles } from "./fontFiles.js"

interface Kit {
  readonly PDFDocument: new (options?: PDFKit.PDFDocumentOptions) => Doc
  readonly fontkit: typeof FontkitTypes
  readonly qrcode: QrLib
}

const defaultOf = <A>(m: unknown): A => ((m as { readonly default?: A }).default ?? m) as A

let kit: Promise<Kit> | undefined
let bundled: Promise<FontFiles> | undefined

/** Loads pdfkit and fontkit once. */
const loadKit = (): Promise<Kit> => {
  kit ??= Promise.all([import("pdfkit"), import("fontkit"), loadQr()]).then(([p, f, qrcode]) => ({
    PDFDocument: defaultOf<Kit["PDFDocument"]>(p),
    fontkit: defaultOf<typeof FontkitTypes>(f),
    qrcode
  }))
  return kit
}

/** The font files bundled as dependencies: Noto Sans TC, then Noto Sans SC (regular weight). */
export const bundledFonts = (): Promise<FontFiles> => {
  bundled ??= (async () => {
    const require = createRequire(import.meta.url)
    const [primary, fallback] = await Promise.all([
      readFile(require.resolve("@expo-google-fonts/noto-sans-tc/400Regular/NotoSansTC_400Regular.ttf")),
      readFile(require.resolve("@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf"))
    ])
    return { primary, fallback }
  })()
  return bundled
}

type Font = FontkitTypes.Font

/** Which registered font (0 primary, 1 fallback) draws a code point, and its advance per 1 pt. */
interface Glyph {
  readonly font: number
  readonly advance: number
}

/** Fonts opened with fontkit to measure text and choose a font per character. */
class Metrics {
  private readonly cache = new Map<number, Glyph | null>()
  constructor(private readonly fonts: ReadonlyArray<Font>) {}
  glyph(cp: number): Glyph | null {
    let g = this.cache.get(cp)
    if (g !== undefined) return g
    g = null
    for (let i = 0; i < this.fonts.length; i++) {
      const f = this.fonts[i]!
      if (f.hasGlyphForCodePoint(cp)) {
        g = { font: i, advance: f.glyphForCodePoint(cp).advanceWidth / f.unitsPerEm }
        break
      }
    }
    this.cache.set(cp, g)
    return g
  }
}

const metricsCache = new WeakMap<FontFiles, Metrics>()

const openFont = (k: Kit, bytes: Uint8Array): Font => {
  const f = k.fontkit.create(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  return ("fonts" in f ? f.fonts[0]! : f) as Font
}

/** A run of text drawn with one font. */
interface Run {
  readonly font: number
  readonly text: string
  readonly width: number
}

/** How a line of text is drawn. */
export interface TextOptions {
  readonly size: number
  /** The widest the text may be: longer text is cut with `…`. */
  readonly width?: number | undefined
  readonly align?: "left" | "right" | "center" | undefined
  readonly color?: string | undefined
}

const FONT_NAMES = ["kaituan-primary", "kaituan-fallback"] as const

/** Draws measured text and QR codes on a pdfkit document. */
export class Pen {
  constructor(
    readonly doc: Doc,
    private readonly metrics: Metrics,
    private readonly qrcode: QrLib
  ) {}

  /** The text as runs of one font each; characters no font has are left out; whitespace becomes a space. */
  private runs(text: string, size: number): Array<Run> {
    const out: Array<Run> = []
    let font = -1
    let cur = ""
    let width = 0
    for (const ch of text.replace(/[^\S\u3000]+/g, " ")) {
      const g = this.metrics.glyph(ch.codePointAt(0)!)
      if (g === null) continue
      if (g.font !== font && cur.length > 0) {
        out.push({ font, text: cur, width })
        cur = ""
        width = 0
      }
      font = g.font
      cur += ch
      width += g.advance * size
    }
    if (cur.length > 0) out.push({ font, text: cur, width })
    return out
  }

  /** The width of a line of text at `size` pt. */
  width(text: string, size: number): number {
    return this.runs(text, size).reduce((w, r) => w + r.width, 0)
  }

  /** The text cut (with `…`) to fit `width`. */
  fit(text: string, size: number, width: number): string {
    if (this.width(text, size) <= width) return text
    const chars = [...text]
    let lo = 0
    let hi = chars.length
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2)
      if (this.width(`${chars.slice(0, mid).join("")}…`, size) <= width) lo = mid
      else hi = mid - 1
    }
    return `${chars.slice(0, lo).join("")}…`
  }

  /** The text broken into lines no wider than `width` (at a space when one is near, else at any character). */
  wrap(text: string, size: number, width: number, maxLines = Number.POSITIVE_INFINITY): Array<string> {
    const lines: Array<string> = []
    let rest = [...text.trim()]
    while (rest.length > 0) {
      if (lines.length === maxLines - 1) {
        lines.push(this.fit(rest.join(""), size, width))
        break
      }
      let n = 0
      let w = 0
      for (const ch of rest) {
        const g = this.metrics.glyph(ch.codePointAt(0)!)
        const a = g === null ? 0 : g.advance * size
        if (w + a > width && n > 0) break
        w += a
        n++
      }
      if (n < rest.length) {
        const space = rest.slice(0, n).lastIndexOf(" ")
        if (space > n / 2) n = space + 1
      }
      lines.push(rest.slice(0, n).join("").trimEnd())
      rest = rest.slice(n)
      while (rest[0] === " ") rest = rest.slice(1)
    }
    return lines
  }

  /** Draws one line of text with its top at `y`. */
  text(text: string, x: number, y: number, options: TextOptions): void {
    const fitted = options.width === undefined ? text : this.fit(text, options.size, options.width)
    const runs = this.runs(fitted, options.size)
    const total = runs.reduce((w, r) => w + r.width, 0)
    let left = x
    if (options.width !== undefined && options.align === "right") left = x + options.width - total
    else if (options.width !== undefined && options.align === "center") left = x + (options.width - total) / 2
    this.doc.fillColor(options.color ?? "black")
    for (const r of runs) {
      this.doc.font(FONT_NAMES[r.font]!).fontSize(options.size).text(r.text, left, y, { lineBreak: false })
      left += r.width
    }
  }

  /** A straight line; dashed when `dash` is given. */
  line(
    x1: number,
    y1: number,
    x2: number,
    y2: number,
    options: { width?: number; dash?: number; color?: string } = {}
  ) {
    const d = this.doc.save().lineWidth(options.width ?? 0.5)
    if (options.dash !== undefined) d.dash(options.dash, { space: options.dash })
    d.moveTo(x1, y1)
      .lineTo(x2, y2)
      .stroke(options.color ?? "black")
    d.restore()
  }

  /** A QR code of `text`, `size` pt square (quiet zone included), as vector squares. */
  qr(text: string, x: number, y: number, size: number): void {
    drawQr(this.doc, this.qrcode.create(segmentsOf(text), { errorCorrectionLevel: ERROR_CORRECTION }), x, y, size)
  }
}

/** Draws a QR code's dark modules, one rectangle per run of dark modules in a row, 4 modules of quiet zone. */
const drawQr = (doc: Doc, model: QRCodeModel, x: number, y: number, size: number): void => {
  const n = model.modules.size
  const data = model.modules.data
  const m = size / (n + 8)
  doc.save()
  for (let r = 0; r < n; r++) {
    let c = 0
    while (c < n) {
      if (data[r * n + c] === 0) {
        c++
        continue
      }
      const start = c
      while (c < n && data[r * n + c] !== 0) c++
      // A hair wider than the module so neighbouring rectangles leave no hairline gap.
      doc.rect(x + (start + 4) * m, y + (r + 4) * m, (c - start) * m + 0.01, m + 0.01)
    }
  }
  doc.fill("black")
  doc.restore()
}

/** What a document is: its title (shown by viewers) and its fonts. */
export interface DocumentSpec {
  readonly title: string
  readonly fonts?: FontFiles | undefined
}

/**
 * A PDF written a batch at a time: `begin` once, `draw` for each batch of `items` (it adds the
 * pages it needs), `end` once, then the bytes pdfkit has left (the fonts' subsets, the trailer).
 * Each batch's bytes are emitted before the next batch is pulled.
 */
export const render = <A, E, R>(
  spec: DocumentSpec,
  items: Stream.Stream<ReadonlyArray<A>, E, R>,
  draw: {
    readonly batch: (pen: Pen, batch: ReadonlyArray<A>) => void
    readonly end: (pen: Pen) => void
  }
): Stream.Stream<Uint8Array, E, R> =>
  Stream.unwrap(
    Effect.gen(function* () {
      const k = yield* Effect.promise(loadKit)
      const files = spec.fonts ?? (yield* Effect.promise(bundledFonts))
      let metrics = metricsCache.get(files)
      if (metrics === undefined) {
        metrics = new Metrics(
          [files.primary, ...(files.fallback === undefined ? [] : [files.fallback])].map((b) => openFont(k, b))
        )
        metricsCache.set(files, metrics)
      }
      const doc = new k.PDFDocument({
        autoFirstPage: false,
        compress: true,
        lang: "zh-TW",
        displayTitle: true,
        info: { Title: spec.title, Creator: "kaituan", Producer: "kaituan (pdfkit)" }
      })
      doc.registerFont(FONT_NAMES[0], Buffer.from(files.primary))
      doc.registerFont(FONT_NAMES[1], Buffer.from(files.fallback ?? files.primary))
      const pending: Array<Uint8Array> = []
      doc.on("data", (c: Uint8Array) => pending.push(c))
      const finished = new Promise<void>((resolve) => doc.once("end", () => resolve()))
      const pen = new Pen(doc, metrics, k.qrcode)
      // pdfkit pushes its bytes into a Readable: they come out as "data" by the next turn of the loop.
      const drain = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve))).pipe(
        Effect.map(() => pending.splice(0))
      )
      const body = items.pipe(
        Stream.mapEffect((batch) =>
          Effect.andThen(
            Effect.sync(() => draw.batch(pen, batch)),
            drain
          )
        ),
        Stream.flattenIterable
      )
      const tail = Stream.fromEffect(
        Effect.promise(async () => {
          draw.end(pen)
          doc.end()
          await finished
          return pending.splice(0)
        })
      ).pipe(Stream.flattenIterable)
      return Stream.concat(body, tail)
    })
  )

/** Millimetres in PDF points. */
export const mm = (n: number): number => (n * 72) / 25.4

/** A4 in points. */
export const A4 = { width: 595.28, height: 841.89 } as const
