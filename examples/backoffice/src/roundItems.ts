/**
 * A round's items and history in the organiser's words, from `GET /rounds/:roundId/history`
 * alone: the round file it was created from, then the products, variants and prices changed
 * since (the API has no catalogue route of its own). Pure: no DOM, no fetch.
 */
import type { Models } from "@kaituan/http"
import { dateTime, number } from "./format.js"
import type { Lang, T } from "./i18n.js"

type HistoryEntry = Models.HistoryEntry
type RoundEvent = HistoryEntry["event"]

/** An item the round sells (a product without variants, or a variant): its name and current price. */
export interface Item {
  readonly name: string
  readonly price: number
  /** A pre-order (預購) item: it can be marked arrived (預購到貨). */
  readonly preorder: boolean
  /** Marked arrived already. */
  readonly arrived: boolean
}

interface ProductState {
  name: string
  price: number
  preorder: boolean
  variants: Array<{ sku: string; label: string; price: number | undefined; preorder: boolean }>
}

type ProductSpec = Extract<RoundEvent, { _tag: "ProductAdded" }>["product"]
type VariantSpec = NonNullable<ProductSpec["variants"]>[number]

const variantLabel = (v: VariantSpec): string => {
  if (v.name !== undefined && v.name !== "") return v.name
  const options = Object.values(v.options ?? {})
  return options.length > 0 ? options.join("/") : v.sku
}

/** The items of a round, by SKU, as its history leaves them (names, and prices for new orders). */
export const catalogueOf = (history: ReadonlyArray<HistoryEntry>): ReadonlyMap<string, Item> => {
  const products = new Map<string, ProductState>()
  const ownerOf = new Map<string, string>()
  const arrived = new Set<string>()
  const addProduct = (p: ProductSpec) => {
    products.set(p.sku, {
      name: p.name,
      price: p.price,
      preorder: p.preorder === true,
      variants: (p.variants ?? []).map((v) => ({
        sku: v.sku,
        label: variantLabel(v),
        price: v.price,
        preorder: v.preorder ?? p.preorder === true
      }))
    })
    for (const v of p.variants ?? []) ownerOf.set(v.sku, p.sku)
  }
  for (const { event: e } of history) {
    switch (e._tag) {
      case "RoundCreated":
        for (const p of e.spec.products) addProduct(p)
        break
      case "ProductAdded":
        addProduct(e.product)
        break
      case "VariantAdded": {
        const p = products.get(e.productSku)
        if (p !== undefined) {
          p.variants.push({
            sku: e.variant.sku,
            label: variantLabel(e.variant),
            price: e.variant.price,
            preorder: e.variant.preorder ?? p.preorder
          })
          ownerOf.set(e.variant.sku, e.productSku)
        }
        break
      }
      case "PriceChanged": {
        const p = products.get(e.sku)
        if (p !== undefined) p.price = e.price
        else {
          const v = products.get(ownerOf.get(e.sku) ?? "")?.variants.find((x) => x.sku === e.sku)
          if (v !== undefined) v.price = e.price
        }
        break
      }
      case "PreorderArrived":
        // SKUs, or products (every pre-order variant of theirs).
        for (const sku of e.skus) {
          arrived.add(sku)
          for (const v of products.get(sku)?.variants ?? []) arrived.add(v.sku)
        }
        break
      default:
        break
    }
  }
  const out = new Map<string, Item>()
  for (const [sku, p] of products) {
    if (p.variants.length === 0)
      out.set(sku, { name: p.name, price: p.price, preorder: p.preorder, arrived: arrived.has(sku) })
    for (const v of p.variants)
      out.set(v.sku, {
        name: `${p.name} ${v.label}`,
        price: v.price ?? p.price,
        preorder: v.preorder,
        arrived: arrived.has(v.sku)
      })
  }
  return out
}

/** One history entry in the organiser's words. */
export const describeEvent = (t: T, lang: Lang, e: RoundEvent, items: ReadonlyMap<string, Item>): string => {
  const nameOf = (sku: string) => items.get(sku)?.name ?? sku
  switch (e._tag) {
    case "RoundCreated":
      return t("event.RoundCreated", { title: e.spec.title })
    case "RoundOpened":
      return t("event.RoundOpened")
    case "RoundClosed":
      return t(e.reason === "cutoff" ? "event.RoundClosed.cutoff" : "event.RoundClosed.manual")
    case "RoundSettled":
      return t("event.RoundSettled")
    case "RoundTitleChanged":
      return t("event.RoundTitleChanged", { title: e.title })
    case "RoundCutoffChanged":
      return e.cutoff === null
        ? t("event.RoundCutoffCleared")
        : t("event.RoundCutoffChanged", { at: dateTime(lang, e.cutoff) })
    case "PriceChanged":
      return t("event.PriceChanged", { name: nameOf(e.sku), price: number(lang, e.price) })
    case "Restocked":
      return e.add > 0
        ? t("event.RestockedAdd", { name: nameOf(e.sku), add: number(lang, e.add), stock: number(lang, e.stock) })
        : e.add < 0
          ? t("event.RestockedLess", { name: nameOf(e.sku), less: number(lang, -e.add), stock: number(lang, e.stock) })
          : t("event.RestockedSame", { name: nameOf(e.sku), stock: number(lang, e.stock) })
    case "ProductAdded":
      return t("event.ProductAdded", { name: e.product.name })
    case "VariantAdded":
      return t("event.VariantAdded", { name: nameOf(e.variant.sku) })
    case "RoundPaused":
      return t("event.RoundPaused")
    case "RoundResumed":
      return t("event.RoundResumed")
    case "RoundReopened":
      return t("event.RoundReopened")
    case "PreorderArrived":
      return t("event.PreorderArrived", { names: e.skus.map(nameOf).join("、") })
    case "ProductBelowMinimum":
      return t("event.ProductBelowMinimum", {
        name: nameOf(e.productSku),
        ordered: number(lang, e.ordered),
        minimum: number(lang, e.minimum)
      })
    case "RoundBelowMinimum":
      return t("event.RoundBelowMinimum", { ordered: number(lang, e.ordered), minimum: number(lang, e.minimum) })
    default:
      return t("event.other", { tag: e._tag })
  }
}
