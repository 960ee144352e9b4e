/**
 * `kaituan slips --db DB --round ID [--status paid] [--orders ID,ID] --out slips.pdf [--format a4|thermal]`:
 * a batch of packing slips (出貨單) in one PDF, from `@kaituan/documents`' `Slips`, written to the
 * file a page of orders at a time (the file appears complete or not at all).
 */
import { Slips } from "@kaituan/documents"
import { UsageError } from "../Io.js"
import { type Command, list, statusesOf, writePdf } from "./printing.js"

export const usage = `kaituan slips --db PATH|postgres://… --round ID [--status paid[,…]] [--orders ID,ID] --out FILE.pdf [--format a4|thermal] [--per-page 4|2]

Prints packing slips (出貨單) for a round's orders in one PDF: the organiser, the buyer, the
delivery method (with carrier and tracking number once shipped), the items of each shipment
(split shipments print only their own lines; what is not shipped yet prints its order lines),
the amount, what is paid and due, the order number, and a QR code (the pickup code for a
meet-up pickup, the order number otherwise). --format a4 (default) puts 4 slips on a page with
cut lines (--per-page 2 for 2); thermal is an 80 mm roll, one slip a page. Without --status or
--orders every order but cancelled and refunded ones is printed.
Statuses: open, awaiting-payment, paid, partly-shipped, shipped, completed, cancelled, refunded.`

export const run: Command = async (argv, io) =>
  writePdf(argv, io, {
    name: "slips",
    usage,
    extra: { orders: { type: "string" }, format: { type: "string", default: "a4" }, "per-page": { type: "string" } },
    open: (values) => {
      const format = values.format as string
      if (format !== "a4" && format !== "thermal")
        throw new UsageError(`slips: unknown --format "${format}" (one of a4, thermal)`)
      const perPage = values["per-page"] as string | undefined
      if (perPage !== undefined && perPage !== "2" && perPage !== "4")
        throw new UsageError(`slips: --per-page is 4 or 2, not "${perPage}"`)
      const orders = values.orders as string | undefined
      return Slips.open({
        roundId: values.round as string,
        format,
        ...(perPage === undefined ? {} : { perPage: Number(perPage) as 2 | 4 }),
        ...statusesOf("slips", values.status as string | undefined),
        ...(orders === undefined ? {} : { orderIds: list(orders) })
      })
    },
    describe: (values) => `format ${values.format}`
  })
