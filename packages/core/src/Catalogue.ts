/**
 * The catalogue of a round: products, their options (colour, size…) and variants, prices and
 * supply (現貨 in stock, 預購 pre-order with an optional cap, or unlimited).
 *
 * `ProductSpec` is the shape of the round file (CLI.md); {@link compile} turns it into the flat
 * list of sellable SKUs every other part of kaituan works with.
 *
 * @since 0.1.0
 */
import { Data, Result, Schema } from "effect"
import { Sku } from "./Ids.js"
import { Twd } from "./Money.js"

/** Option values with their aliases: `{ "紅": ["紅色", "red"] }`. */
export const OptionValues = Schema.Record(Schema.String, Schema.Array(Schema.String))
export type OptionValues = typeof OptionValues.Type

/** A variant of a product: named by option values, or by its own name and aliases. */
export const VariantSpec = Schema.Struct({
  sku: Sku,
  options: Schema.optional(Schema.Record(Schema.String, Schema.String)),
  name: Schema.optional(Schema.String),
  aliases: Schema.optional(Schema.Array(Schema.String)),
  price: Schema.optional(Twd),
  stock: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  preorder: Schema.optional(Schema.Boolean),
  cap: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  /** The most of this variant one buyer may hold (限購); beyond it: not ordered, `over-limit`. */
  limitPerBuyer: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0))),
  /** Unit cost, for profit figures. */
  cost: Schema.optional(Twd)
})
export type VariantSpec = typeof VariantSpec.Type

/** A product as written in the round file. */
export const ProductSpec = Schema.Struct({
  sku: Sku,
  name: Schema.NonEmptyString,
  aliases: Schema.optional(Schema.Array(Schema.String)),
  price: Twd,
  options: Schema.optional(Schema.Record(Schema.String, OptionValues)),
  variants: Schema.optional(Schema.Array(VariantSpec)),
  stock: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  preorder: Schema.optional(Schema.Boolean),
  cap: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  /** The most of this product (each of its variants) one buyer may hold (限購). */
  limitPerBuyer: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0))),
  /** Units of the product needed to proceed (成團); under it at the cutoff the product is 流團. */
  minimum: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0))),
  /** Unit cost, for profit figures. */
  cost: Schema.optional(Twd)
})
export type ProductSpec = typeof ProductSpec.Type

/** How much of a SKU can be sold. */
export const Supply = Schema.Union([
  Schema.TaggedStruct("InStock", { qty: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)) }),
  Schema.TaggedStruct("Preorder", { cap: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))) }),
  Schema.TaggedStruct("Unlimited", {})
])
export type Supply = typeof Supply.Type

/** One sellable SKU after compilation: a product without variants, or one variant. */
export interface SellableSku {
  readonly sku: Sku
  /** The product's SKU (equal to `sku` for a product without variants). */
  readonly productSku: Sku
  /** 1-based position of the product in the catalogue ("#2" = the second product). */
  readonly productNumber: number
  readonly productName: string
  readonly productAliases: ReadonlyArray<string>
  /** The variant's own name and aliases, when it has them. */
  readonly variantName: string | undefined
  readonly variantAliases: ReadonlyArray<string>
  /** Option name → option value key, e.g. `{ 顏色: "紅", 尺寸: "L" }`. */
  readonly options: Readonly<Record<string, string>>
  readonly price: number
  readonly supply: Supply
  /** The most of this SKU one buyer may hold (限購: the variant's, else its product's); none when undefined. */
  readonly limitPerBuyer: number | undefined
  /** A human label: `韓國毛襪 紅`. */
  readonly label: string
}

/** A product after compilation, with its sellable SKUs. */
export interface CompiledProduct {
  readonly spec: ProductSpec
  readonly number: number
  readonly skus: ReadonlyArray<SellableSku>
}

/** A compiled catalogue: products in order and an index by SKU. */
export interface Catalogue {
  readonly products: ReadonlyArray<CompiledProduct>
  readonly skus: ReadonlyArray<SellableSku>
  readonly bySku: ReadonlyMap<string, SellableSku>
}

/** The catalogue is inconsistent (duplicate SKU, a variant naming an unknown option…). */
export class CatalogueError extends Data.TaggedError("CatalogueError")<{
  readonly sku: string
  readonly message: string
}> {}

const supplyOf = (s: {
  readonly stock?: number | undefined
  readonly preorder?: boolean | undefined
  readonly cap?: number | undefined
}): Supply | undefined =>
  s.stock !== undefined
    ? { _tag: "InStock", qty: s.stock }
    : s.preorder
      ? s.cap !== undefined
        ? { _tag: "Preorder", cap: s.cap }
        : { _tag: "Preorder" }
      : undefined

/** Compiles products into sellable SKUs, checking that SKUs are unique and variants name known options. */
export const compile = (products: ReadonlyArray<ProductSpec>): Result.Result<Catalogue, CatalogueError> => {
  const bySku = new Map<string, SellableSku>()
  const compiled: Array<CompiledProduct> = []
  const seen = new Set<string>()
  const claim = (sku: string) => {
    if (seen.has(sku)) return new CatalogueError({ sku, message: `duplicate sku "${sku}"` })
    seen.add(sku)
    return undefined
  }
  for (const [i, p] of products.entries()) {
    const number = i + 1
    const err = claim(p.sku)
    if (err) return Result.fail(err)
    const productSupply: Supply = supplyOf(p) ?? { _tag: "Unlimited" }
    const skus: Array<SellableSku> = []
    if (p.variants && p.variants.length > 0) {
      for (const v of p.variants) {
        const e = claim(v.sku)
        if (e) return Result.fail(e)
        const options = v.options ?? {}
        for (const [name, value] of Object.entries(options)) {
          const values = p.options?.[name]
          if (!values || !(value in values)) {
            return Result.fail(
              new CatalogueError({ sku: v.sku, message: `variant "${v.sku}" names unknown option ${name}=${value}` })
            )
          }
        }
        const label = [p.name, v.name ?? Object.values(options).join(" ")].filter((s) => s.length > 0).join(" ")
        skus.push({
          sku: v.sku,
          productSku: p.sku,
          productNumber: number,
          productName: p.name,
          productAliases: p.aliases ?? [],
          variantName: v.name,
          variantAliases: v.aliases ?? [],
          options,
          price: v.price ?? p.price,
          supply: supplyOf(v) ?? productSupply,
          limitPerBuyer: v.limitPerBuyer ?? p.limitPerBuyer,
          label
        })
      }
    } else {
      skus.push({
        sku: p.sku,
        productSku: p.sku,
        productNumber: number,
        productName: p.name,
        productAliases: p.aliases ?? [],
        variantName: undefined,
        variantAliases: [],
        options: {},
        price: p.price,
        supply: productSupply,
        limitPerBuyer: p.limitPerBuyer,
        label: p.name
      })
    }
    for (const s of skus) bySku.set(s.sku, s)
    compiled.push({ spec: p, number, skus })
  }
  return Result.succeed({ products: compiled, skus: compiled.flatMap((p) => p.skus), bySku })
}

// ---------------------------------------------------------------------------------------------
// Editing a catalogue (the Round's changes: price, stock, a new variant)
// ---------------------------------------------------------------------------------------------

/** The product with `variant` added (or replaced, by sku) and new option values merged into its options. */
export const withVariant = (
  p: ProductSpec,
  variant: VariantSpec,
  optionValues: Readonly<Record<string, OptionValues>> | undefined
): ProductSpec => {
  const options: Record<string, OptionValues> = { ...p.options }
  if (optionValues !== undefined)
    for (const [name, vs] of Object.entries(optionValues)) options[name] = { ...options[name], ...vs }
  const variants = (p.variants ?? []).filter((v) => v.sku !== variant.sku)
  return { ...p, options, variants: [...variants, variant] }
}

/**
 * The products with a new price for `sku`: a product's own price (its variants without a price
 * follow it), or a variant's. Unknown skus change nothing.
 */
export const withPrice = (products: ReadonlyArray<ProductSpec>, sku: string, price: number): Array<ProductSpec> =>
  products.map((p) =>
    p.sku === sku
      ? { ...p, price }
      : p.variants?.some((v) => v.sku === sku)
        ? { ...p, variants: p.variants.map((v) => (v.sku === sku ? { ...v, price } : v)) }
        : p
  )

/**
 * The products with a new total for the sellable `sku`: the cap of a pre-order, else its stock (an
 * unlimited SKU becomes in stock). Set on the SKU itself (a variant overrides its product).
 */
export const withStock = (
  products: ReadonlyArray<ProductSpec>,
  sellable: SellableSku,
  total: number
): Array<ProductSpec> => {
  const preorder = sellable.supply._tag === "Preorder"
  const set = <S extends { readonly stock?: number | undefined; readonly cap?: number | undefined }>(s: S): S =>
    preorder ? { ...s, preorder: true, cap: total } : { ...s, stock: total }
  return products.map((p) =>
    p.sku !== sellable.productSku
      ? p
      : p.variants && p.variants.length > 0
        ? { ...p, variants: p.variants.map((v) => (v.sku === sellable.sku ? set(v) : v)) }
        : set(p)
  )
}

/** Compiles a catalogue known to be valid; throws a defect otherwise (for tests and fixtures). */
export const unsafeCompile = (products: ReadonlyArray<ProductSpec>): Catalogue =>
  Result.getOrThrowWith(compile(products), (e) => new Error(e.message))
