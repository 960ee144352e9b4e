/** The round report in CLI.md's JSON shape, and as readable tables. */
import type { Catalogue, GroupBuy } from "@kaituan/core"
import { table } from "./Table.js"

/** The comment id as the source gave it: the stored id carries the channel in front. */
const sourceId = (commentId: string) => {
  const i = commentId.indexOf(":")
  return i >= 0 ? commentId.slice(i + 1) : commentId
}

const buyerOf = (b: { readonly id: string; readonly name?: string | undefined }) => ({ id: b.id, name: b.name ?? b.id })

export interface ReplayJson {
  readonly orders: ReadonlyArray<{
    readonly orderId: string
    readonly status: string
    readonly buyer: { readonly id: string; readonly name: string }
    readonly lines: ReadonlyArray<{ readonly sku: string; readonly qty: number; readonly unitPrice: number }>
    readonly total: number
  }>
  readonly review: ReadonlyArray<{
    readonly commentId: string
    readonly buyer: { id: string; name: string }
    readonly text: string
    readonly reason: string
  }>
  readonly notOrdered: ReadonlyArray<{
    readonly commentId: string
    readonly buyer: { id: string; name: string }
    readonly text: string
    readonly reason: string
    readonly sku?: string
    readonly qty?: number
  }>
  readonly stock: Readonly<Record<string, number>>
}

export const toJson = (r: Pick<GroupBuy.RoundReport, "orders" | "review" | "notOrdered" | "stock">): ReplayJson => ({
  orders: r.orders.map((o) => ({
    orderId: o.orderId,
    status: o.status,
    buyer: buyerOf(o.buyer),
    lines: o.lines.map((l) => ({ sku: l.sku, qty: l.qty, unitPrice: l.unitPrice })),
    total: o.total
  })),
  review: r.review.map((x) => ({
    commentId: sourceId(x.commentId),
    buyer: buyerOf(x.buyer),
    text: x.text,
    reason: x.reason
  })),
  notOrdered: r.notOrdered.map((x) => ({
    commentId: sourceId(x.commentId),
    buyer: buyerOf(x.buyer),
    text: x.text,
    reason: x.reason,
    ...(x.sku !== undefined ? { sku: x.sku } : {}),
    ...(x.qty !== undefined ? { qty: x.qty } : {})
  })),
  stock: Object.fromEntries(r.stock.filter((s) => s.left !== null).map((s) => [s.sku, s.left!]))
})

const clip = (s: string, n = 24) => (s.length > n ? `${s.slice(0, n - 1)}…` : s).replace(/\s+/g, " ")

export const toTables = (r: GroupBuy.RoundReport, catalogue: Catalogue.Catalogue): string => {
  const label = (sku: string) => catalogue.bySku.get(sku)?.label ?? sku
  const j = toJson(r)
  const total = j.orders.reduce((t, o) => t + o.total, 0)
  const parts = [
    `Orders (${j.orders.length}, NT$${total.toLocaleString("en-US")} in all)`,
    table(
      ["#", "buyer", "items", "total"],
      j.orders.map((o, i) => [i + 1, o.buyer.name, o.lines.map((l) => `${label(l.sku)} ×${l.qty}`).join(", "), o.total])
    ),
    "",
    `Review queue (${j.review.length}): comments that might be orders; nothing was ordered for them`,
    table(
      ["comment", "buyer", "text", "why"],
      j.review.map((x) => [x.commentId, x.buyer.name, clip(x.text), x.reason])
    ),
    "",
    `Not ordered (${j.notOrdered.length}): tell these buyers`,
    table(
      ["comment", "buyer", "text", "why", "item"],
      j.notOrdered.map((x) => [
        x.commentId,
        x.buyer.name,
        clip(x.text),
        x.reason,
        x.sku ? `${label(x.sku)} ×${x.qty ?? ""}` : ""
      ])
    ),
    "",
    "Stock left",
    table(
      ["sku", "item", "left"],
      Object.entries(j.stock).map(([sku, left]) => [sku, label(sku), left])
    )
  ]
  return parts.join("\n")
}
