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
