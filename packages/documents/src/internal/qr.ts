/**
 * [qrcode](https://github.com/soldair/node-qrcode), loaded the first time a QR code is made.
 *
 * @internal
 */
import type * as QRCodeTypes from "qrcode"

/** The qrcode module. */
export type QrLib = typeof QRCodeTypes

let loaded: Promise<QrLib> | undefined

/** Loads qrcode once. */
export const loadQr = (): Promise<QrLib> => {
  loaded ??= import("qrcode").then((m) => {
    const mod = m as unknown as QrLib & { readonly default?: QrLib }
    return typeof mod.create !== "function" && mod.default !== undefined ? mod.default : mod
  })
  return loaded
}

/** The error correction of every code: M (15% of the code may be smudged or torn). */
export const ERROR_CORRECTION = "M" as const

/**
 * The text as one segment: alphanumeric when it is made of QR's 45 alphanumeric characters (a
 * pickup code: smaller code), else bytes (UTF-8). One explicit segment spares qrcode its search
 * for the optimal mix of segments, which costs more than the rest of a short code.
 */
export const segmentsOf = (text: string): Array<QRCodeTypes.QRCodeSegment> =>
  /^[0-9A-Z $%*+\-./:]+$/.test(text)
    ? [{ data: text, mode: "alphanumeric" }]
    : [{ data: new TextEncoder().encode(text), mode: "byte" }]
