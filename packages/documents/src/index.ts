/**
 * `@kaituan/documents`: spreadsheets in and out of a group buy.
 *
 * - {@link Catalogue}: a catalogue workbook (xlsx) to a round (core's `RoundSpec`), errors by sheet and cell.
 * - {@link Export}: a round's orders, lines, payments and shipments as an xlsx workbook or as CSV.
 * - {@link Csv}: the CSV writer (UTF-8 BOM, RFC 4180, formula-injection guard) both use.
 *
 * @since 0.1.0
 */
export * as Catalogue from "./Catalogue.js"
export * as Csv from "./Csv.js"
export * as Export from "./Export.js"
export * as PickList from "./PickList.js"
export * as Print from "./Print.js"
export * as Qr from "./Qr.js"
export * as Slips from "./Slips.js"
