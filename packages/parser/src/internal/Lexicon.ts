/**
 * The round's vocabulary, compiled once: one trie over the folded product names, aliases,
 * option values (and their aliases) and variant names, plus the parser's fixed keywords and the
 * round's extra markers and fillers.
 */
import type { Catalogue, ParseResult } from "@kaituan/core"
import {
  K_EXTRA_MARKER,
  K_FILLER,
  currencySuffixes,
  keywords,
  measureSuffixes,
  numeralValues,
  units
} from "./Keywords.js"
import { foldString } from "./Tables.js"
import { Trie } from "./Trie.js"

export const E_PRODUCT = 0
export const E_OPTION = 1
export const E_VARIANT = 2

/** What a matched name can mean. */
export interface Entry {
  readonly kind: number
  /** Index of the product in the catalogue. */
  readonly product: number
  /** Option dimension index (E_OPTION). */
  readonly dim: number
  /** Option value key (E_OPTION). */
  readonly value: string
  /** Index into the product's skus (E_VARIANT). */
  readonly variant: number
}

export interface ProductInfo {
  readonly sku: string
  readonly name: string
  readonly dims: ReadonlyArray<string>
  /** Sellable skus with their option value key per dimension ("" when unset). */
  readonly skus: ReadonlyArray<{ readonly sku: string; readonly values: ReadonlyArray<string> }>
  readonly hasVariants: boolean
}

/** Names start at this payload in the trie; smaller payloads are keyword kinds. */
export const NAME_BASE = 64

export interface Lexicon {
  readonly trie: Trie
  readonly groups: ReadonlyArray<ReadonlyArray<Entry>>
  /** Group index for "#N" (N = index + 1). */
  readonly productNumberGroups: ReadonlyArray<number>
  readonly products: ReadonlyArray<ProductInfo>
  /** The sku a nameless marker means: the only product when it has no variants. */
  readonly onlySku: string | undefined
  readonly settings: ParseResult.ParserSettings
}

/** Folds a name for the trie: width, case, script, and no spaces. */
export const foldKey = (s: string): string => foldString(s).replace(/\s+/gu, "")

/** Per-code-unit tables the lexer needs (built once per process, shared by every round). */
export interface Charsets {
  readonly unit: Uint8Array
  readonly measure: Uint8Array
  readonly numeral: Int16Array
  readonly currency: ReadonlyArray<string>
  /** First code units of the currency words. */
  readonly currencyStart: Uint8Array
}

let charsets: Charsets | undefined
export const getCharsets = (): Charsets => {
  if (charsets !== undefined) return charsets
  const unit = new Uint8Array(65536)
  for (const ch of foldString(units)) unit[ch.charCodeAt(0)] = 1
  const measure = new Uint8Array(65536)
  for (const ch of foldString(measureSuffixes)) measure[ch.charCodeAt(0)] = 1
  const numeral = new Int16Array(65536).fill(-1)
  for (const [ch, v] of numeralValues) numeral[foldString(ch).charCodeAt(0)] = v
  const currency = currencySuffixes.map(foldString)
  const currencyStart = new Uint8Array(65536)
  for (const c of currency) currencyStart[c.charCodeAt(0)] = 1
  charsets = { unit, measure, numeral, currency, currencyStart }
  return charsets
}

/** Compiles the catalogue and settings into a lexicon. */
export const make = (catalogue: Catalogue.Catalogue, settings: ParseResult.ParserSettings): Lexicon => {
  const byKey = new Map<string, Array<Entry>>()
  const add = (name: string | undefined, e: Entry): void => {
    if (name === undefined) return
    const key = foldKey(name)
    if (key.length === 0) return
    let list = byKey.get(key)
    if (list === undefined) {
      list = []
      byKey.set(key, list)
    }
    if (
      !list.some(
        (x) =>
          x.kind === e.kind &&
          x.product === e.product &&
          x.dim === e.dim &&
          x.value === e.value &&
          x.variant === e.variant
      )
    )
      list.push(e)
  }
  const products: Array<ProductInfo> = []
  catalogue.products.forEach((p, pi) => {
    const dims = Object.keys(p.spec.options ?? {})
    const hasVariants = (p.spec.variants?.length ?? 0) > 0
    const skus = p.skus.map((s) => ({ sku: s.sku, values: dims.map((d) => s.options[d] ?? "") }))
    products.push({ sku: p.spec.sku, name: p.spec.name, dims, skus, hasVariants })
    const pe: Entry = { kind: E_PRODUCT, product: pi, dim: -1, value: "", variant: -1 }
    add(p.spec.name, pe)
    for (const a of p.spec.aliases ?? []) add(a, pe)
    dims.forEach((d, di) => {
      const values = p.spec.options?.[d] ?? {}
      for (const [value, aliases] of Object.entries(values)) {
        const oe: Entry = { kind: E_OPTION, product: pi, dim: di, value, variant: -1 }
        add(value, oe)
        for (const a of aliases) add(a, oe)
      }
    })
    p.skus.forEach((s, si) => {
      if (!hasVariants) return
      const ve: Entry = { kind: E_VARIANT, product: pi, dim: -1, value: "", variant: si }
      add(s.variantName, ve)
      for (const a of s.variantAliases) add(a, ve)
    })
  })
  const trie = new Trie()
  const keepFirst = (old: number) => old
  const preferNames = (old: number, incoming: number) => (incoming >= NAME_BASE ? incoming : old)
  for (const [kind, words] of keywords) for (const w of words) trie.insert(foldKey(w), kind, keepFirst)
  for (const w of settings.extraFillers) trie.insert(foldKey(w), K_FILLER, (_o, n) => n)
  for (const w of settings.extraMarkers) trie.insert(foldKey(w), K_EXTRA_MARKER, (_o, n) => n)
  const groups: Array<ReadonlyArray<Entry>> = []
  for (const [key, list] of byKey) {
    trie.insert(key, NAME_BASE + groups.length, preferNames)
    groups.push(list)
  }
  const productNumberGroups = products.map((_p, pi) => {
    groups.push([{ kind: E_PRODUCT, product: pi, dim: -1, value: "", variant: -1 }])
    return groups.length - 1
  })
  trie.seal()
  const only = products.length === 1 && !products[0]!.hasVariants ? products[0]!.skus[0]?.sku : undefined
  return { trie, groups, productNumberGroups, products, onlySku: only, settings }
}

/** Outcome of resolving a set of names to sellable skus. */
export type Resolution =
  | {
      readonly _tag: "Ok"
      readonly product: number
      readonly skus: ReadonlyArray<string>
      /**
       * Several skus: the options they differ in ("顏色"), for "which 顏色?". One sku: the options
       * the names did not give, completed from the only variant that has the values named
       * ("顏色 白"), or "" when the names gave everything.
       */
      readonly detail: string
    }
  | { readonly _tag: "Fail"; readonly why: string; readonly product: number }

/**
 * Resolves names (each a group of possible meanings) to the skus of one product that fit them all.
 * `Ok` may list several skus (the caller decides whether that is "which one?" or "包色").
 */
export const resolve = (lex: Lexicon, groups: ReadonlyArray<ReadonlyArray<Entry>>): Resolution => {
  const first = groups[0]
  if (first === undefined) return { _tag: "Fail", why: "no name", product: -1 }
  const candidates: Array<number> = []
  for (const e of first) {
    if (candidates.includes(e.product)) continue
    if (groups.every((g) => g.some((x) => x.product === e.product))) candidates.push(e.product)
  }
  if (candidates.length === 0) return { _tag: "Fail", why: "names of different products", product: -1 }
  const fits: Array<{ product: number; skus: Array<string>; conflict: boolean }> = []
  for (const pi of candidates) {
    const p = lex.products[pi]!
    const want: Array<string> = p.dims.map(() => "")
    let variant = -1
    let conflict = false
    for (const g of groups) {
      const e = g.find((x) => x.product === pi)!
      if (e.kind === E_OPTION) {
        if (want[e.dim] !== "" && want[e.dim] !== e.value) conflict = true
        want[e.dim] = e.value
      } else if (e.kind === E_VARIANT) {
        if (variant >= 0 && variant !== e.variant) conflict = true
        variant = e.variant
      }
    }
    const skus: Array<string> = []
    p.skus.forEach((s, si) => {
      if (variant >= 0 && si !== variant) return
      for (let d = 0; d < want.length; d++) if (want[d] !== "" && s.values[d] !== want[d]) return
      skus.push(s.sku)
    })
    fits.push({ product: pi, skus, conflict })
  }
  const usable = fits.filter((f) => !f.conflict && f.skus.length > 0)
  if (usable.length > 1) return { _tag: "Fail", why: "matches several products", product: -1 }
  const only = usable[0]
  if (only !== undefined)
    return {
      _tag: "Ok",
      product: only.product,
      skus: only.skus,
      detail: detailOf(lex, only.product, groups, only.skus)
    }
  const f = fits[0]!
  if (fits.length === 1 && f.conflict)
    return { _tag: "Fail", why: "names two values of the same option", product: f.product }
  return { _tag: "Fail", why: "no such variant", product: fits.length === 1 ? f.product : -1 }
}

/**
 * What {@link resolve} says besides the skus: with several, the options they differ in; with one,
 * the options the names left open and the values the only matching variant gives them
 * (docs/parsing.md: the only variant that has the values named completes the other options).
 */
const detailOf = (
  lex: Lexicon,
  pi: number,
  groups: ReadonlyArray<ReadonlyArray<Entry>>,
  skus: ReadonlyArray<string>
): string => {
  const p = lex.products[pi]!
  if (p.dims.length === 0) return ""
  const rows = p.skus.filter((s) => skus.includes(s.sku))
  if (rows.length > 1) {
    const differ = p.dims.filter((_d, d) => rows.some((r) => r.values[d] !== rows[0]!.values[d]))
    return (differ.length > 0 ? differ : p.dims).join("/")
  }
  // One sku: named by a variant name, every option named, or completed.
  if (groups.some((g) => g.some((e) => e.product === pi && e.kind === E_VARIANT))) return ""
  const named = p.dims.map((_d, d) =>
    groups.some((g) => g.some((e) => e.product === pi && e.kind === E_OPTION && e.dim === d))
  )
  const row = rows[0]!
  return p.dims.flatMap((d, di) => (named[di] || row.values[di] === "" ? [] : [`${d} ${row.values[di]}`])).join(", ")
}
