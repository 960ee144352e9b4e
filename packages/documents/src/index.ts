/**
 * `@kaituan/documents`: spreadsheets in and out of a group buy, and its printed documents.
 *
 * - {@link Catalogue}: a catalogue workbook (xlsx) to a round (core's `RoundSpec`), errors by sheet and cell.
 * - {@link Export}: a round's orders, lines, payments and shipments as an xlsx workbook or as CSV.
 * - {@link Csv}: the CSV writer (UTF-8 BOM, RFC 4180, formula-injection guard) both use.
 * - {@link Slips}: packing slips (出貨單) with QR codes as one PDF, A4 or 80 mm thermal.
 * - {@link PickList}: the pick list (分貨單) per SKU or per delivery method, as A4 PDF.
 * - {@link Qr}: QR codes as PNG or SVG images.
 * - {@link Print}: what the printed documents share (their error, fonts, common input).
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
