/**
 * QR images: the PNG decodes (pngjs + jsQR) back to the text, Chinese and long texts too; the SVG
 * is one path in an SVG document; a text too long for any QR code fails with `too-long`.
 */
import { Effect } from "effect"
import fc from "fast-check"
import jsQR from "jsqr"
import { PNG } from "pngjs"
import { describe, expect, it } from "vitest"
import { Qr } from "../src/index.js"

const decode = (png: Uint8Array) => {
  const img = PNG.sync.read(Buffer.from(png))
  return jsQR(new Uint8ClampedArray(img.data), img.width, img.height)?.data
}

describe("Qr", () => {
  it("makes a PNG that decodes back to the text", async () => {
    for (const text of ["XQ3WG9X8", "o_36iFD6Qr9YWjXL3ZrIG6y", "https://kaituan.example/p/XQ3WG9X8"]) {
      const png = await Effect.runPromise(Qr.png(text))
      expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47])
      expect(decode(png)).toBe(text)
    }
    const small = PNG.sync.read(Buffer.from(await Effect.runPromise(Qr.png("XQ3WG9X8", { scale: 2, margin: 1 }))))
    const large = PNG.sync.read(Buffer.from(await Effect.runPromise(Qr.qrPng("XQ3WG9X8"))))
    expect(small.width).toBeLessThan(large.width)
  })

  it("decodes any short printable text back", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 40, unit: "grapheme-ascii" }),
          fc.stringMatching(/^[0-9A-Z $%*+\-./:]{1,40}$/),
          fc.string({ minLength: 1, maxLength: 20, unit: "grapheme" })
        ),
        async (text) => {
          expect(decode(await Effect.runPromise(Qr.png(text, { scale: 4 })))).toBe(text)
        }
      ),
      { numRuns: 30 }
    )
  })

  it("makes an SVG document, and refuses a text no QR code holds", async () => {
    const svg = await Effect.runPromise(Qr.qrSvg("XQ3WG9X8"))
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
    expect(svg).toContain("<path")
    const e = await Effect.runPromise(Effect.flip(Qr.svg("x".repeat(8000))))
    expect(e).toMatchObject({ _tag: "QrError", reason: "too-long" })
    const p = await Effect.runPromise(Effect.flip(Qr.png("x".repeat(8000))))
    expect(p.reason).toBe("too-long")
  })
})
