/**
 * `kaituan picklist --db DB --round ID --out picklist.pdf [--by sku|pickup]`: the round's pick
 * list (分貨單) as an A4 PDF, from `@kaituan/documents`' `PickList`.
 */
import { PickList } from "@kaituan/documents"
import { UsageError } from "../Io.js"
import { type Command, statusesOf, writePdf } from "./printing.js"

export const usage = `kaituan picklist --db PATH|postgres://… --round ID --out FILE.pdf [--by sku|pickup] [--status paid[,…]]

Prints the round's pick list (分貨單) as an A4 PDF: per SKU the product, the variant, the units
ordered, shipped and still to ship, and how many orders want it. --by pickup lists them per
delivery method (面交, 超商取貨, 宅配) with 尚未出貨 for what is not shipped yet (rounds have no
pickup points yet). Without --status every order but cancelled and refunded ones counts.`

export const run: Command = async (argv, io) =>
  writePdf(argv, io, {
    name: "picklist",
    usage,
    extra: { by: { type: "string", default: "sku" } },
    open: (values) => {
      const by = values.by as string
      if (by !== "sku" && by !== "pickup") throw new UsageError(`picklist: unknown --by "${by}" (one of sku, pickup)`)
      return PickList.open({
        roundId: values.round as string,
        by,
        ...statusesOf("picklist", values.status as string | undefined)
      })
    },
    describe: (values) => `by ${values.by}`
  })
