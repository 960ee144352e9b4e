/**
 * What {@link Slips} and {@link PickList} share: their error, the fonts they print with and the
 * input fields both take.
 *
 * Both write PDF with [pdfkit](https://pdfkit.org) and embed Noto Sans TC (Traditional Chinese
 * glyph forms), falling back to Noto Sans SC for characters TC lacks (简体字), each subset to the
 * glyphs used. pdfkit, fontkit, qrcode and the fonts are loaded the first time a document is
 * written.
 *
 * @since 0.2.0
 */
import type { Writable } from "node:stream"
import { ReadModel, RoundSpec, type Storage } from "@kaituan/core"
import { Effect, Schema, Stream } from "effect"
import type { FontFiles } from "./internal/fontFiles.js"

/**
 * A document could not be written: `invalid-input` (the input did not decode: `message` names the
 * field), `unknown-round`, `unknown-order` (an order id that is not in the round), `storage`.
 */
export class PrintError extends Schema.TaggedError<PrintError>()("PrintError", {
  reason: Schema.Literals(["invalid-input", "unknown-round", "unknown-order", "storage"]),
  message: Schema.String
}) {}

/** The fonts to print with, instead of the bundled Noto Sans TC and SC: TrueType or OpenType bytes. */
export type Fonts = FontFiles

/** The fields every printed document takes. */
export const CommonInput = {
  roundId: Schema.String.check(Schema.isMinLength(1)),
  /** Which orders: these statuses (default: every order but cancelled and refunded ones). */
  status: Schema.optional(Schema.Array(ReadModel.OrderStatus)),
  /** When the document is printed (shown on it, Taipei time); default now. */
  printedAt: Schema.optional(RoundSpec.IsoTimestamp),
  /** The organiser's name printed on it; default the round's sellers (團主), else nothing. */
  organiser: Schema.optional(Schema.String),
  /** Orders read from storage per page (default 200). */
  pageSize: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 5000 })))
}

/** Orders read from storage per page. */
export const PAGE_SIZE = 200

/** The statuses printed when none are asked for. */
export const defaultStatuses: ReadonlyArray<ReadModel.OrderStatus> = ReadModel.OrderStatus.literals.filter(
  (s) => s !== "cancelled" && s !== "refunded"
)

/** @internal */
export const storageError = (e: Storage.StorageError) =>
  new PrintError({ reason: "storage", message: `cannot read the round: ${e.reason}` })

/** @internal */
export const unknownRound = (roundId: string) =>
  new PrintError({ reason: "unknown-round", message: `no round ${JSON.stringify(roundId)}` })

/** How a delivery method is printed. */
export const methodLabels = { home: "宅配", cvs: "超商取貨", pickup: "面交" } as const

/**
 * Who the document names as the organiser: the `organiser` given, else the round's sellers (團主)
 * that read as names — a platform's user id (a LINE `U…` id, a numeric Telegram id) is not printed.
 *
 * @internal
 */
export const organiserOf = (given: string | undefined, sellers: ReadonlyArray<string> | undefined): string =>
  given ?? (sellers ?? []).filter((s) => !/^(U[0-9a-f]{32}|-?\d{5,})$/i.test(s.trim())).join("、")

/**
 * Writes a document's bytes to a Node `Writable` (a file, an HTTP response), waiting whenever it
 * asks to (`write` returned false), and ends it. Memory holds what the stream has made and the
 * writable has not yet taken.
 */
export const writeTo = <E, R>(bytes: Stream.Stream<Uint8Array, E, R>, out: Writable): Effect.Effect<void, E, R> =>
  Effect.andThen(
    Stream.runForEach(bytes, (chunk) =>
      Effect.callback<void>((resume) => {
        if (out.write(chunk)) resume(Effect.void)
        else out.once("drain", () => resume(Effect.void))
      })
    ),
    Effect.callback<void>((resume) => {
      out.end(() => resume(Effect.void))
    })
  )
