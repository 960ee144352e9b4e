/**
 * ECPay's `LogisticsType` and `LogisticsSubType` for kaituan's carriers (protocols.md §6.3, the
 * legacy SDK's `EcpayLogisticsSubType` constants).
 *
 * - C2C (店到店, the default: an organiser drops the parcel at any store of the chain):
 *   7-ELEVEN `UNIMARTC2C`, FamilyMart `FAMIC2C`, Hi-Life `HILIFEC2C`, OK `OKMARTC2C`;
 * - B2C (the merchant's parcels go to the chain's logistics centre): `UNIMART`, `FAMI`,
 *   `HILIFE` (OK has none);
 * - home delivery: TCAT 黑貓 `TCAT` (`LogisticsType=Home`).
 *
 * @since 0.3.0
 */
import type { Logistics } from "@kaituan/core"
import { Schema } from "effect"

/** Which ECPay logistics contract the merchant has: `C2C` (店到店) or `B2C` (大宗寄倉). */
export const Mode = Schema.Literals(["C2C", "B2C"])
/** `C2C` or `B2C`. */
export type Mode = typeof Mode.Type

const C2C: Readonly<Record<Logistics.StoreCarrier, string>> = {
  "7-eleven": "UNIMARTC2C",
  familymart: "FAMIC2C",
  "hi-life": "HILIFEC2C",
  ok: "OKMARTC2C"
}

const B2C: Readonly<Partial<Record<Logistics.StoreCarrier, string>>> = {
  "7-eleven": "UNIMART",
  familymart: "FAMI",
  "hi-life": "HILIFE"
}

/** `LogisticsType`: `CVS` for a store carrier, `Home` for home delivery. */
export const logisticsType = (carrier: Logistics.Carrier): "CVS" | "Home" => (carrier === "tcat" ? "Home" : "CVS")

/** The `LogisticsSubType` of a carrier under a contract, or undefined when ECPay has none (OK under B2C). */
export const subTypeOf = (carrier: Logistics.Carrier, mode: Mode): string | undefined =>
  carrier === "tcat" ? "TCAT" : mode === "C2C" ? C2C[carrier] : B2C[carrier]

/** The store carrier of a `LogisticsSubType` (C2C or B2C), or undefined for any other. */
export const storeCarrierOf = (subType: string): Logistics.StoreCarrier | undefined => {
  for (const [carrier, code] of Object.entries(C2C)) if (code === subType) return carrier as Logistics.StoreCarrier
  for (const [carrier, code] of Object.entries(B2C)) if (code === subType) return carrier as Logistics.StoreCarrier
  return undefined
}

/** The carrier of a `LogisticsSubType`, or undefined. */
export const carrierOf = (subType: string): Logistics.Carrier | undefined =>
  subType === "TCAT" ? "tcat" : storeCarrierOf(subType)
