/**
 * The stored form of an order view: one JSON array per order in the `doc` column,
 *
 *   [orderId, status, seq, buyerId, buyer, lines, total, paid, placedAt, updatedAt]
 *
 * (`buyer` as `{ id, name? }`, `lines` as given; `roundId` is the row's `round_id` column).
 * Positional, without keys, so a round's orders are little text to scan: the database joins the
 * docs of a round into one string and it is parsed with a single `JSON.parse`, instead of turning
 * every column of every row into a JS value one by one.
 *
 * The docs are written only by this package from typed view changes, so reads do not decode them
 * with a Schema; a doc that is not JSON or not a 10-element array fails the read as `corrupt`.
 */
import type { ReadModel } from "@kaituan/core"

/** Number of elements in a doc. */
const width = 10

const hasNonAscii = /[\u0080-\uffff]/
const nonAscii = /[\u0080-\uffff]/g
const escapeChar = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`

/**
 * JSON text with every non-ASCII character written as a `\uXXXX` escape: a round's joined docs
 * are then a one-byte string in V8 (half the memory of a two-byte one, and no UTF-8 decoding when
 * the driver turns the database's bytes into a JS string).
 */
const asciiJson = (value: unknown): string => {
  const text = JSON.stringify(value)
  return hasNonAscii.test(text) ? text.replace(nonAscii, escapeChar) : text
}

/** The doc of an order view. */
export const encode = (o: ReadModel.OrderView): string =>
  asciiJson([
    o.orderId,
    o.status,
    o.seq,
    o.buyerId,
    o.buyer.name === undefined ? { id: o.buyer.id } : { id: o.buyer.id, name: o.buyer.name },
    o.lines,
    o.total,
    o.paid,
    o.placedAt,
    o.updatedAt
  ])

const fromArray = (roundId: string, d: unknown, i: number): ReadModel.OrderView => {
  if (!Array.isArray(d) || d.length !== width) throw new Error(`order doc ${i} is not a ${width}-element array`)
  return {
    roundId,
    orderId: d[0],
    buyerId: d[3],
    buyer: d[4],
    status: d[1],
    lines: d[5],
    total: d[6],
    paid: d[7],
    seq: d[2],
    placedAt: d[8],
    updatedAt: d[9]
  }
}

/** One order from its doc (throws on a malformed doc). */
export const decode = (roundId: string, doc: string): ReadModel.OrderView => fromArray(roundId, JSON.parse(doc), 0)

/**
 * The orders of one round from a JSON array of their docs (`"[" || docs joined with "," || "]"`
 * as the database builds it, in list order; `null` when there are none). Throws on a malformed doc.
 */
export const decodeList = (roundId: string, list: string | null | undefined): Array<ReadModel.OrderView> => {
  if (list === null || list === undefined) return []
  const docs: unknown = JSON.parse(list)
  if (!Array.isArray(docs)) throw new Error("order docs are not a list")
  const out = new Array<ReadModel.OrderView>(docs.length)
  for (let i = 0; i < docs.length; i++) out[i] = fromArray(roundId, docs[i], i)
  return out
}

/**
 * Like {@link decodeList}, from docs in any order and their rows' `ins` (insertion counter) as a
 * JSON array in the same order: sorted here by `seq`, then `ins` (after a linear check, as the
 * rows usually come in that order already).
 */
export const decodeUnsortedList = (
  roundId: string,
  list: string | null | undefined,
  insList: string | null | undefined
): Array<ReadModel.OrderView> => {
  if (list === null || list === undefined) return []
  const docs: unknown = JSON.parse(list)
  const ins: unknown = JSON.parse(insList ?? "null")
  if (!Array.isArray(docs) || !Array.isArray(ins) || docs.length !== ins.length) {
    throw new Error("order docs and their insertion counters do not match")
  }
  const out = new Array<ReadModel.OrderView>(docs.length)
  let sorted = true
  for (let i = 0; i < docs.length; i++) {
    const o = fromArray(roundId, docs[i], i)
    if (typeof o.seq !== "number" || typeof ins[i] !== "number")
      throw new Error(`order doc ${i} has no numeric seq or ins`)
    if (i > 0 && (out[i - 1]!.seq > o.seq || (out[i - 1]!.seq === o.seq && ins[i - 1] > ins[i]))) sorted = false
    out[i] = o
  }
  if (sorted) return out
  const order = Array.from(out.keys()).sort((a, b) => out[a]!.seq - out[b]!.seq || ins[a] - ins[b])
  return order.map((i) => out[i]!)
}
