/**
 * The `insight-rounds` read model (catch-up): one document per round with what the insights need
 * from its stream: its title, the conversations it listens to, its SKUs with their product and
 * the round file's unit `cost`, its buyers' comments (did one read as an order, did it become
 * one) for conversion, and its review items with when the organiser resolved them for response
 * time. Lookup key `k1`: the Taipei month the round was created (`YYYY-MM`).
 *
 * Personal data is not kept: comments are kept as buyer ids and times, without their text.
 *
 * @since 0.4.0
 */
import { Schema } from "effect"
import { arr, field, str, streamId } from "../internal/eventData.js"
import { taipeiMonth } from "../Insights.js"
import type { Definition } from "../ReadModels.js"
import type { StoredEvent } from "../Storage.js"

/** A SKU of the round: its product, the product's name and its unit cost (when the round file gives one). */
export const SkuInfo = Schema.Struct({
  sku: Schema.String,
  product: Schema.String,
  productName: Schema.String,
  cost: Schema.optional(Schema.Number)
})
/** See {@link SkuInfo}. */
export type SkuInfo = typeof SkuInfo.Type

/** One round. */
export const Document = Schema.Struct({
  roundId: Schema.String,
  title: Schema.String,
  createdAt: Schema.String,
  listens: Schema.Array(Schema.Struct({ channel: Schema.String, conversation: Schema.String })),
  skus: Schema.Array(SkuInfo),
  comments: Schema.Array(
    Schema.Struct({
      commentId: Schema.String,
      buyerId: Schema.String,
      at: Schema.String,
      looked: Schema.Boolean,
      became: Schema.Boolean
    })
  ),
  reviews: Schema.Array(
    Schema.Struct({ commentId: Schema.String, at: Schema.String, resolvedAt: Schema.optional(Schema.String) })
  )
})
/** One round. */
export type Document = typeof Document.Type

/** The model's name. */
export const name = "insight-rounds"

const skusOf = (product: unknown): Array<SkuInfo> => {
  const sku = str(field(product, "sku")) ?? ""
  const productName = str(field(product, "name")) ?? sku
  const cost = field(product, "cost")
  const info = (s: string, c: unknown): SkuInfo =>
    typeof c === "number" ? { sku: s, product: sku, productName, cost: c } : { sku: s, product: sku, productName }
  const variants = arr(field(product, "variants"))
  return variants.length === 0
    ? [info(sku, cost)]
    : variants.map((v) => info(str(field(v, "sku")) ?? "", field(v, "cost") ?? cost))
}

/** Comment events: the buyer's comments (`looked`: it read as an order; `became`: it made one). */
const commentTypes: Record<string, { readonly looked: boolean; readonly became: boolean }> = {
  LinesOrdered: { looked: true, became: true },
  LinesSet: { looked: true, became: true },
  CommentNotOrdered: { looked: true, became: false },
  CommentForReview: { looked: true, became: false },
  OrderWithdrawn: { looked: false, became: false },
  PaymentReported: { looked: false, became: false },
  CommentIgnored: { looked: false, became: false }
}

const empty = (roundId: string, at: string): Document => ({
  roundId,
  title: roundId,
  createdAt: at,
  listens: [],
  skus: [],
  comments: [],
  reviews: []
})

const evolve = (doc: Document | undefined, e: StoredEvent): Document | undefined => {
  const roundId = streamId(e, "round") ?? ""
  const d = e.data
  const current = doc ?? empty(roundId, e.at)
  switch (e.type) {
    case "RoundCreated": {
      const spec = field(d, "spec")
      return {
        ...current,
        title: str(field(spec, "title")) ?? roundId,
        createdAt: e.at,
        listens: arr(field(spec, "listens")).map((l) => ({
          channel: str(field(l, "channel")) ?? "",
          conversation: str(field(l, "conversation")) ?? ""
        })),
        skus: arr(field(spec, "products")).flatMap(skusOf)
      }
    }
    case "RoundTitleChanged":
      return { ...current, title: str(field(d, "title")) ?? current.title }
    case "ProductAdded":
      return { ...current, skus: [...current.skus, ...skusOf(field(d, "product"))] }
    case "VariantAdded": {
      const product = str(field(d, "productSku")) ?? ""
      const variant = field(d, "variant")
      const sku = str(field(variant, "sku")) ?? ""
      const sibling = current.skus.find((s) => s.product === product)
      const cost = field(variant, "cost")
      const c = typeof cost === "number" ? cost : sibling?.cost
      return {
        ...current,
        skus: [
          ...current.skus,
          {
            sku,
            product,
            productName: sibling?.productName ?? product,
            ...(c === undefined ? {} : { cost: c })
          }
        ]
      }
    }
    case "ReviewResolved": {
      const commentId = str(field(d, "commentId")) ?? ""
      return {
        ...current,
        reviews: current.reviews.map((r) =>
          r.commentId === commentId && r.resolvedAt === undefined ? { ...r, resolvedAt: e.at } : r
        )
      }
    }
    default: {
      const kind = commentTypes[e.type]
      const commentId = str(field(d, "commentId"))
      const buyerId = str(field(d, "buyerId"))
      // Organiser actions carry `<id>#cancelled` references: not a buyer's comment.
      if (kind === undefined || commentId === undefined || buyerId === undefined || commentId.includes("#")) return doc
      const at = str(field(d, "at")) ?? e.at
      const i = current.comments.findIndex((c) => c.commentId === commentId)
      const comments =
        i < 0
          ? [...current.comments, { commentId, buyerId, at, looked: kind.looked, became: kind.became }]
          : current.comments.map((c, j) =>
              j === i ? { ...c, looked: c.looked || kind.looked, became: c.became || kind.became } : c
            )
      const reviews =
        e.type === "CommentForReview" && !current.reviews.some((r) => r.commentId === commentId)
          ? [...current.reviews, { commentId, at }]
          : current.reviews
      return { ...current, comments, reviews }
    }
  }
}

/** The definition (register it with `InsightFacts.readModels`). */
export const definition: Definition<Document> = {
  name,
  version: 1,
  mode: "catch-up",
  document: Document,
  eventTypes: [
    "RoundCreated",
    "RoundTitleChanged",
    "ProductAdded",
    "VariantAdded",
    "ReviewResolved",
    ...Object.keys(commentTypes)
  ],
  documentIds: (e) => {
    const id = streamId(e, "round")
    return id === undefined ? [] : [id]
  },
  evolve,
  keys: (doc) => ({ k1: taipeiMonth(doc.createdAt) })
}
