/**
 * QR codes as images: a PNG ({@link png}) for a chat message (LINE and Telegram send images), an
 * SVG ({@link svg}) for a web page. The slips draw theirs as vector squares in the PDF. Error
 * correction M; the library, [qrcode](https://github.com/soldair/node-qrcode), is loaded the first
 * time a code is made.
 *
 * @example
 * ```ts
 * import { Qr } from "@kaituan/documents"
 * import { Effect } from "effect"
 *
 * const png = await Effect.runPromise(Qr.png("XQ3WG9X8")) // PNG bytes, 8 px a module
 * ```
 *
 * @since 0.2.0
 */
import { Effect, Schema } from "effect"
import { ERROR_CORRECTION, loadQr, segmentsOf } from "./internal/qr.js"

/** The text could not be made a QR code (`too-long`: more than a QR code holds). */
export class QrError extends Schema.TaggedError<QrError>()("QrError", {
  reason: Schema.Literals(["too-long"]),
  message: Schema.String
}) {}

/** How an image is drawn. */
export interface ImageOptions {
  /** Pixels a module (PNG only; default 8). An SVG scales to whatever size it is shown at. */
  readonly scale?: number | undefined
  /** Modules of white border (default 4, the standard's quiet zone). */
  readonly margin?: number | undefined
}

const tooLong = (text: string) =>
  new QrError({ reason: "too-long", message: `${text.length} characters do not fit in a QR code` })

/** A QR code of `text` as PNG bytes (black on white). */
export const png = (text: string, options: ImageOptions = {}): Effect.Effect<Uint8Array, QrError> =>
  Effect.flatMap(Effect.promise(loadQr), (qrcode) =>
    Effect.tryPromise({
      try: () =>
        qrcode.toBuffer(segmentsOf(text), {
          type: "png",
          errorCorrectionLevel: ERROR_CORRECTION,
          scale: options.scale ?? 8,
          margin: options.margin ?? 4
        }),
      catch: () => tooLong(text)
    }).pipe(Effect.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)))
  )

/** A QR code of `text` as an SVG document (a single path). */
export const svg = (text: string, options: ImageOptions = {}): Effect.Effect<string, QrError> =>
  Effect.flatMap(Effect.promise(loadQr), (qrcode) =>
    Effect.tryPromise({
      try: () =>
        qrcode.toString(segmentsOf(text), {
          type: "svg",
          errorCorrectionLevel: ERROR_CORRECTION,
          margin: options.margin ?? 4
        }),
      catch: () => tooLong(text)
    })
  )

/** {@link png} under the name other packages look for. */
export const qrPng = png
/** {@link svg} under the name other packages look for. */
export const qrSvg = svg
