/**
 * A round's orders in folders (待付款 / 待出貨 / 已出貨 / 已完成 / 已取消, and 收單中 while the round
 * is open), searched by buyer, in keyset pages ("load more"), with bulk "mark shipped" and each
 * order's own actions: ship (part of it: a split shipment), cancel, refund, record cash. The
 * organiser (not a helper: it is personal data) can export the round's orders as a CSV file.
 * Packing slips (列印出貨單: the selected orders, or the whole folder; A4 or 80 mm thermal) and
 * the round's pick list (分貨單) open as PDFs. After-sales (退款, 退貨, 待退款) and carrier shipping
 * (超商／宅配寄件, 未取退回) come from `AfterSales.tsx`.
 */
import { useEffect, useState } from "preact/hooks"
import type { Method, Order, OrderStatus, OrdersPage, PaymentRecorded, RefundDue, Report, Shipped } from "../api.js"
import { explain, seg } from "../api.js"
import { dateTime, money } from "../format.js"
import type { Key } from "../i18n.js"
import { navigate } from "../router.js"
import { Badge, ErrorBox, Field, Link, Loading, Result, toneOf, useAction, useApp, useLoad, valueOf } from "../ui.js"
import { CarrierShip, RefundForm, RefundsDue, ReturnForm, Unclaimed, useCarrier } from "./AfterSales.js"
import { RoundHeader, useRound } from "./RoundNav.js"

export interface Folder {
  readonly id: "open" | "awaiting" | "toship" | "shipped" | "done" | "cancelled"
  readonly key: Key
  readonly statuses: ReadonlyArray<OrderStatus>
  readonly tone: string
}

export const folders: ReadonlyArray<Folder> = [
  { id: "open", key: "folder.open", statuses: ["open"], tone: "blue" },
  { id: "awaiting", key: "folder.awaiting", statuses: ["awaiting-payment"], tone: "amber" },
  { id: "toship", key: "folder.toship", statuses: ["paid", "partly-shipped"], tone: "green" },
  { id: "shipped", key: "folder.shipped", statuses: ["shipped"], tone: "teal" },
  { id: "done", key: "folder.done", statuses: ["completed"], tone: "grey" },
  { id: "cancelled", key: "folder.cancelled", statuses: ["cancelled", "refunded"], tone: "red" }
]

export const folderOf = (id: string | null): Folder | undefined => folders.find((f) => f.id === id)

const methods: ReadonlyArray<Method> = ["home", "cvs", "pickup"]

/** A buyer id as the API writes it (`line:U123`), as opposed to a name to look for. */
const isBuyerId = (q: string) => /^[a-z][a-z0-9-]*:\S+$/.test(q)

/** Open or paused: the round's orders are still open (a pause only stops new ones). */
const takingOrders = (status: string): boolean => status === "open" || status === "paused"

export const Orders = (props: { readonly roundId: string; readonly query: URLSearchParams }) => {
  const { t, api, can } = useApp()
  const roundPath = `/rounds/${seg(props.roundId)}`
  const [round] = useRound(props.roundId)
  const [report, reloadReport] = useLoad(() => api.get<Report>(`${roundPath}/report`), [props.roundId])
  const asked = folderOf(props.query.get("folder"))
  const folder =
    asked ?? (round.state === "done" && takingOrders(round.value.status) ? folders[0]! : (folders[1] as Folder))
  const q = props.query.get("q") ?? ""
  const [search, setSearch] = useState(q)
  useEffect(() => setSearch(q), [q])

  const byId = isBuyerId(q)
  const [pages, setPages] = useState<{ items: ReadonlyArray<Order>; nextCursor: string | null }>()
  const [loaded, reload] = useLoad(async () => {
    setPages(undefined)
    setSelected(new Set())
    const page = await api.get<OrdersPage>(`${roundPath}/orders`, {
      status: folder.statuses,
      buyer: byId ? q : undefined
    })
    setPages({ items: page.items, nextCursor: page.nextCursor })
    return page
  }, [props.roundId, folder.id, byId ? q : ""])
  const more = useAction()
  const bulk = useAction()
  const exporting = useAction()
  const printing = useAction()
  const [paper, setPaper] = useState<"a4" | "thermal">("a4")
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set())
  const [method, setMethod] = useState<Method>("home")
  const [open, setOpen] = useState<string>()
  // 待退款: reloaded after a refund or a return; a row's button opens the refund form of its order.
  const [dueVersion, setDueVersion] = useState(0)
  const [dueOpen, setDueOpen] = useState<{ readonly due: RefundDue; readonly order: Order }>()
  const [dueNote, setDueNote] = useState<string>()
  const dueLoad = useAction()
  const openDue = async (due: RefundDue) => {
    setDueNote(undefined)
    const order = await dueLoad.run(() => api.get<Order>(`/orders/${seg(due.orderId)}`))
    if (order !== undefined) setDueOpen({ due, order })
  }

  const go = (f: Folder, query = q) =>
    navigate(
      `rounds/${seg(props.roundId)}/orders?folder=${f.id}${query === "" ? "" : `&q=${encodeURIComponent(query)}`}`
    )

  const loadMore = async () => {
    if (pages?.nextCursor == null) return
    const cursor = pages.nextCursor
    const page = await more.run(() =>
      api.get<OrdersPage>(`${roundPath}/orders`, { status: folder.statuses, buyer: byId ? q : undefined, cursor })
    )
    if (page !== undefined)
      setPages((p) => ({ items: [...(p?.items ?? []), ...page.items], nextCursor: page.nextCursor }))
  }

  /** Downloads the round's orders CSV through fetch (the bearer token), saved from an object URL. */
  const exportCsv = () =>
    exporting.run(
      async () => {
        const file = await api.download(`${roundPath}/export.csv`)
        const url = URL.createObjectURL(file.blob)
        const a = document.createElement("a")
        a.href = url
        a.download = file.filename
        document.body.append(a)
        a.click()
        a.remove()
        setTimeout(() => URL.revokeObjectURL(url), 10_000)
        return file
      },
      (file) => t("orders.exported", { file: file.filename })
    )

  /** Opens a PDF the API makes (fetched with the bearer token) in a new tab; saves it when the tab is blocked. */
  const openPdf = (path: string, body?: unknown) =>
    printing.run(
      async () => {
        const file = await api.download(path, body)
        const url = URL.createObjectURL(file.blob)
        if (window.open(url, "_blank") === null) {
          const a = document.createElement("a")
          a.href = url
          a.download = file.filename
          document.body.append(a)
          a.click()
          a.remove()
        }
        setTimeout(() => URL.revokeObjectURL(url), 60_000)
        return file
      },
      (file) => t("orders.printed", { file: file.filename })
    )
  /** Slips of the chosen orders (their ids in the body: more than a URL holds), or of every order in the folder. */
  const printSlips = (orderIds?: ReadonlyArray<string>) => {
    if (orderIds !== undefined) return openPdf(`${roundPath}/slips.pdf`, { orderIds, format: paper })
    const query = new URLSearchParams({ format: paper })
    for (const s of folder.statuses) query.append("status", s)
    return openPdf(`${roundPath}/slips.pdf?${query}`)
  }

  const replace = (order: Order) =>
    setPages((p) =>
      p === undefined ? p : { ...p, items: p.items.map((o) => (o.orderId === order.orderId ? order : o)) }
    )

  const all = pages?.items ?? []
  const needle = byId ? "" : q.trim().toLowerCase()
  const items = needle === "" ? all : all.filter((o) => (o.buyer.name ?? o.buyer.id).toLowerCase().includes(needle))
  const bulkShip = folder.id === "toship" && can("shipping.ship")
  const canPrint = can("documents.slips")
  const selectable = bulkShip || canPrint

  const shipSelected = async () => {
    const chosen = items.filter((o) => selected.has(o.orderId))
    const failed: Array<string> = []
    let done = 0
    await bulk.run(async () => {
      for (const o of chosen) {
        const lines = o.lines.filter((l) => l.qty > 0).map((l) => ({ sku: l.sku, qty: l.qty }))
        try {
          await api.post<Shipped>(`/orders/${seg(o.orderId)}/shipments`, { lines, method })
          done++
        } catch (e) {
          failed.push(`${o.buyer.name ?? o.buyer.id}: ${explain(t, e).message}`)
        }
      }
    })
    setBulkNote({ done, failed })
    reload()
    reloadReport()
  }
  const [bulkNote, setBulkNote] = useState<{ done: number; failed: ReadonlyArray<string> }>()

  const counts = report.state === "done" ? report.value.orders.byStatus : undefined
  const shown = folders.filter(
    (f) =>
      f.id !== "open" ||
      f === folder ||
      (counts?.open ?? 0) > 0 ||
      (round.state === "done" && takingOrders(round.value.status))
  )

  return (
    <>
      <RoundHeader
        roundId={props.roundId}
        current="orders"
        round={round.state === "done" ? round.value : undefined}
        {...(report.state === "done" ? { badge: { review: report.value.review } } : {})}
      />
      <div class="folders" role="tablist" aria-label={t("orders.status")}>
        {shown.map((f) => {
          const n = counts === undefined ? undefined : f.statuses.reduce((s, st) => s + (counts[st] ?? 0), 0)
          return (
            <button
              key={f.id}
              type="button"
              role="tab"
              class={`folder ${f.tone}`}
              aria-selected={f.id === folder.id}
              onClick={() => go(f)}
            >
              <span>{t(f.key)}</span>
              {n === undefined ? null : <span class="count">{n}</span>}
            </button>
          )
        })}
      </div>
      <form
        class="search"
        onSubmit={(e) => {
          e.preventDefault()
          go(folder, search.trim())
        }}
      >
        <label class="field grow">
          <span class="label">{t("orders.search")}</span>
          <input
            type="search"
            name="q"
            value={search}
            onInput={(e) => setSearch(valueOf(e))}
            placeholder={t("orders.searchHint")}
          />
        </label>
        <button type="submit" class="secondary">
          {t("common.search")}
        </button>
        {q === "" ? null : (
          <button type="button" class="ghost" onClick={() => go(folder, "")}>
            {t("common.clear")}
          </button>
        )}
        {can("exports.orders") ? (
          <button
            type="button"
            class="secondary export"
            name="export"
            title={t("orders.exportHint")}
            disabled={exporting.busy}
            onClick={exportCsv}
          >
            {exporting.busy ? t("common.loading") : t("orders.export")}
          </button>
        ) : null}
        {can("documents.picklist") ? (
          <button
            type="button"
            class="secondary picklist"
            name="picklist"
            title={t("orders.pickListHint")}
            disabled={printing.busy}
            onClick={() => openPdf(`${roundPath}/picklist.pdf`)}
          >
            {t("orders.pickList")}
          </button>
        ) : null}
      </form>
      <Result result={exporting.result} />
      {canPrint ? (
        <div class="print-row">
          <label class="inline">
            <span>{t("orders.printFormat")}</span>
            <select name="paper" value={paper} onChange={(e) => setPaper(valueOf(e) as "a4" | "thermal")}>
              <option value="a4">{t("orders.formatA4")}</option>
              <option value="thermal">{t("orders.formatThermal")}</option>
            </select>
          </label>
          <button
            type="button"
            class="secondary print-folder"
            name="printFolder"
            title={t("orders.printHint")}
            disabled={printing.busy}
            onClick={() => printSlips()}
          >
            {t("orders.printFolder")}
          </button>
        </div>
      ) : null}
      <Result result={printing.result} />
      {can("afterSales.refundsDue") ? (
        <RefundsDue roundId={props.roundId} version={dueVersion} onRefund={openDue} />
      ) : null}
      <Result result={dueLoad.result} />
      {dueNote === undefined ? null : (
        <div class="notice ok" role="status">
          <p>{dueNote}</p>
        </div>
      )}
      {dueOpen === undefined ? null : (
        <section class="due-refund panel" aria-label={t("after.refundTitle")}>
          <p class="muted small">
            {dueOpen.order.buyer.name ?? dueOpen.order.buyer.id} · {t("orders.orderId", { id: dueOpen.order.orderId })}
          </p>
          <RefundForm
            key={dueOpen.due.orderId}
            order={dueOpen.order}
            amount={dueOpen.due.due}
            {...(dueOpen.due.causes[0]?.reasonCode === undefined
              ? {}
              : { reasonCode: dueOpen.due.causes[0].reasonCode })}
            onDone={(done, message) => {
              setDueOpen(undefined)
              setDueNote(message)
              replace(done.order)
              setDueVersion((v) => v + 1)
              reloadReport()
            }}
          />
          <button type="button" class="ghost" onClick={() => setDueOpen(undefined)}>
            {t("common.cancel")}
          </button>
        </section>
      )}
      {can("logistics.unclaimed") ? <Unclaimed /> : null}
      {needle === "" ? null : <p class="muted small">{t("orders.filtered", { q })}</p>}
      {bulkNote === undefined ? null : (
        <div class={`notice ${bulkNote.failed.length === 0 ? "ok" : "error"}`} role="status">
          <p>{t("orders.bulkDone", { n: bulkNote.done })}</p>
          {bulkNote.failed.length === 0 ? null : (
            <>
              <p>{t("orders.bulkFailed", { n: bulkNote.failed.length })}</p>
              <ul>
                {bulkNote.failed.map((f) => (
                  <li key={f}>{f}</li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
      {loaded.state === "loading" ? (
        <Loading />
      ) : loaded.state === "failed" ? (
        <ErrorBox error={loaded.error} onRetry={reload} />
      ) : items.length === 0 ? (
        <p class="empty">{t("orders.empty")}</p>
      ) : (
        <>
          {selectable ? (
            <label class="select-all">
              <input
                type="checkbox"
                checked={items.length > 0 && items.every((o) => selected.has(o.orderId))}
                onChange={(e) =>
                  setSelected(e.currentTarget.checked ? new Set(items.map((o) => o.orderId)) : new Set())
                }
              />
              <span>{t("common.selectAll")}</span>
            </label>
          ) : null}
          <ul class="orders" aria-label={t(folder.key)}>
            {items.map((o) => (
              <OrderRow
                key={o.orderId}
                order={o}
                selectable={selectable}
                selected={selected.has(o.orderId)}
                onSelect={(on) =>
                  setSelected((s) => {
                    const next = new Set(s)
                    if (on) next.add(o.orderId)
                    else next.delete(o.orderId)
                    return next
                  })
                }
                open={open === o.orderId}
                onToggle={() => setOpen(open === o.orderId ? undefined : o.orderId)}
                onChanged={(order) => {
                  replace(order)
                  reloadReport()
                }}
                onAfterSales={() => setDueVersion((v) => v + 1)}
              />
            ))}
          </ul>
        </>
      )}
      {pages?.nextCursor == null ? null : (
        <button type="button" class="secondary more" disabled={more.busy} onClick={loadMore}>
          {more.busy ? t("common.loading") : t("common.more")}
        </button>
      )}
      <Result result={more.result} />
      {selectable && selected.size > 0 ? (
        <section class="bulkbar" aria-label={bulkShip ? t("orders.bulkShip") : t("orders.printSlips")}>
          <span class="bulk-count">{t("common.selected", { n: selected.size })}</span>
          {canPrint ? (
            <button
              type="button"
              class="secondary print-slips"
              name="printSlips"
              title={t("orders.printHint")}
              disabled={printing.busy}
              onClick={() => printSlips(items.filter((o) => selected.has(o.orderId)).map((o) => o.orderId))}
            >
              {t("orders.printSlips")}
            </button>
          ) : null}
          {bulkShip ? (
            <>
              <label class="inline">
                <span class="sr-only">{t("orders.bulkMethod")}</span>
                <select name="bulkMethod" value={method} onChange={(e) => setMethod(valueOf(e) as Method)}>
                  {methods.map((m) => (
                    <option key={m} value={m}>
                      {t(`method.${m}`)}
                    </option>
                  ))}
                </select>
              </label>
              <button type="button" class="primary" disabled={bulk.busy} onClick={shipSelected}>
                {t("orders.bulkShip")}
              </button>
            </>
          ) : null}
        </section>
      ) : null}
    </>
  )
}

const OrderRow = (props: {
  readonly order: Order
  readonly selectable: boolean
  readonly selected: boolean
  readonly onSelect: (on: boolean) => void
  readonly open: boolean
  readonly onToggle: () => void
  readonly onChanged: (order: Order) => void
  readonly onAfterSales: () => void
}) => {
  const { t, lang, can } = useApp()
  const o = props.order
  const name = o.buyer.name ?? o.buyer.id
  return (
    <li class={`order ${props.selected ? "selected" : ""}`} data-order-id={o.orderId}>
      <div class="order-main">
        {props.selectable ? (
          <label class="check">
            <input
              type="checkbox"
              name="select"
              value={o.orderId}
              checked={props.selected}
              onChange={(e) => props.onSelect(e.currentTarget.checked)}
            />
            <span class="sr-only">{t("common.select", { what: name })}</span>
          </label>
        ) : null}
        <div class="order-buyer">
          {can("buyers.get") ? (
            <Link to={`buyers/${seg(o.buyerId)}?round=${seg(o.roundId)}`} class="buyer-name">
              {name}
            </Link>
          ) : (
            <span class="buyer-name">{name}</span>
          )}
          <span class="muted small">{dateTime(lang, o.placedAt)}</span>
        </div>
        <div class="order-lines">
          {o.lines
            .filter((l) => l.qty > 0)
            .map((l) => (
              <span key={l.sku} class="line">
                <span class="mono">{l.sku}</span> × {l.qty}
              </span>
            ))}
        </div>
        <div class="order-money">
          <strong>{money(lang, o.total)}</strong>
          {o.paid > 0 && o.paid !== o.total ? (
            <span class="muted small">
              {t("orders.paid")} {money(lang, o.paid)}
            </span>
          ) : null}
        </div>
        <div class="order-status">
          <Badge tone={toneOf(o.status)}>{t(`status.${o.status}` as Key)}</Badge>
        </div>
        <button type="button" class="ghost details" aria-expanded={props.open} onClick={props.onToggle}>
          {props.open ? t("orders.hide") : t("orders.details")}
        </button>
      </div>
      {props.open ? <OrderDetails order={o} onChanged={props.onChanged} onAfterSales={props.onAfterSales} /> : null}
    </li>
  )
}

const OrderDetails = (props: {
  readonly order: Order
  readonly onChanged: (order: Order) => void
  readonly onAfterSales: () => void
}) => {
  const { t, api, can, lang } = useApp()
  const hasCarrier = useCarrier()
  const o = props.order
  const path = `/orders/${seg(o.orderId)}`
  const refetch = async () => props.onChanged(await api.get<Order>(path))
  const shippable = o.status === "paid" || o.status === "partly-shipped"
  const cancellable = o.status === "open" || o.status === "awaiting-payment"
  const refundable = o.paid > 0 && o.status !== "cancelled" && o.status !== "refunded"
  const returnable = o.status === "partly-shipped" || o.status === "shipped" || o.status === "completed"
  // Shown after a shipment, also once the order has left this folder's actions.
  const [shipped, setShipped] = useState<Shipped>()
  // What the last refund or return did, kept when the form goes (a full refund leaves nothing to refund).
  const [afterNote, setAfterNote] = useState<string>()
  const [carrierStarted, setCarrierStarted] = useState(false)
  return (
    <div class="order-details">
      {shipped === undefined ? null : (
        <div class="notice ok" role="status">
          <p>{t("orders.shipped")}</p>
          {shipped.pickupCode === undefined ? null : (
            <p class="pickup-code" data-pickup-code={shipped.pickupCode}>
              {t("orders.pickupCode", { code: shipped.pickupCode })}
            </p>
          )}
        </div>
      )}
      {afterNote === undefined ? null : (
        <div class="notice ok after-note" role="status">
          <p class="after-text">{afterNote}</p>
        </div>
      )}
      <p class="muted small">
        {t("orders.orderId", { id: o.orderId })} · {o.buyerId}
      </p>
      <table class="table compact">
        <thead>
          <tr>
            <th scope="col">{t("common.sku")}</th>
            <th scope="col" class="num">
              {t("common.qty")}
            </th>
            <th scope="col" class="num">
              {t("orders.total")}
            </th>
          </tr>
        </thead>
        <tbody>
          {o.lines.map((l) => (
            <tr key={l.sku}>
              <td class="mono">{l.sku}</td>
              <td class="num">{l.qty}</td>
              <td class="num">{money(lang, l.qty * l.unitPrice)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="detail-actions">
        {shippable && can("shipping.ship") ? (
          <ShipForm
            order={o}
            onShipped={async (s) => {
              setShipped(s)
              await refetch()
            }}
          />
        ) : null}
        {o.status === "awaiting-payment" && can("payments.cash") ? <CashForm order={o} onPaid={refetch} /> : null}
        {cancellable && can("orders.cancel") ? (
          <ReasonForm
            label={t("orders.cancel")}
            reasonLabel={t("orders.cancelReason")}
            done={t("orders.cancelled")}
            action={(reason) => api.post<Order>(`${path}/cancel`, { reason })}
            onDone={props.onChanged}
          />
        ) : null}
        {(shippable || carrierStarted) && hasCarrier && can("logistics.pack") ? (
          <CarrierShip
            order={o}
            onChanged={async () => {
              // Packed: the order may be shipped now; the form stays for its carrier order and label.
              setCarrierStarted(true)
              await refetch()
            }}
          />
        ) : null}
        {refundable && can("afterSales.refund") ? (
          <RefundForm
            order={o}
            onDone={(done, message) => {
              setAfterNote(message)
              props.onChanged(done.order)
              props.onAfterSales()
            }}
          />
        ) : null}
        {returnable && can("afterSales.return") ? (
          <ReturnForm
            order={o}
            {...(shipped === undefined ? {} : { shipmentId: shipped.shipmentId })}
            onDone={(done, message) => {
              setAfterNote(message)
              props.onChanged(done.order)
              props.onAfterSales()
            }}
          />
        ) : null}
      </div>
    </div>
  )
}

const ShipForm = (props: { readonly order: Order; readonly onShipped: (shipped: Shipped) => Promise<void> }) => {
  const { t, api } = useApp()
  const o = props.order
  const [qty, setQty] = useState<Record<string, number>>(() =>
    Object.fromEntries(o.lines.filter((l) => l.qty > 0).map((l) => [l.sku, l.qty]))
  )
  const [method, setMethod] = useState<Method>("home")
  const [carrier, setCarrier] = useState("")
  const [tracking, setTracking] = useState("")
  const ship = useAction()
  const submit = async (e: Event) => {
    e.preventDefault()
    const lines = Object.entries(qty)
      .filter(([, n]) => n > 0)
      .map(([sku, n]) => ({ sku, qty: n }))
    const shipped = await ship.run(() =>
      api.post<Shipped>(`/orders/${seg(o.orderId)}/shipments`, {
        lines,
        method,
        ...(carrier.trim() === "" ? {} : { carrier: carrier.trim() }),
        ...(tracking.trim() === "" ? {} : { trackingNo: tracking.trim() })
      })
    )
    if (shipped !== undefined) await props.onShipped(shipped)
  }
  return (
    <form class="subform" onSubmit={submit}>
      <h3>{t("orders.shipTitle")}</h3>
      <div class="line-inputs">
        {o.lines
          .filter((l) => l.qty > 0)
          .map((l) => (
            <Field key={l.sku} label={l.sku} class="qty">
              <input
                type="number"
                inputMode="numeric"
                min={0}
                max={l.qty}
                name={`ship-${l.sku}`}
                value={qty[l.sku] ?? 0}
                onInput={(e) => setQty({ ...qty, [l.sku]: Number(valueOf(e)) })}
              />
            </Field>
          ))}
      </div>
      <div class="row-fields">
        <Field label={t("orders.bulkMethod")}>
          <select name="method" value={method} onChange={(e) => setMethod(valueOf(e) as Method)}>
            {methods.map((m) => (
              <option key={m} value={m}>
                {t(`method.${m}`)}
              </option>
            ))}
          </select>
        </Field>
        {method === "pickup" ? null : (
          <>
            <Field label={t("orders.carrier")}>
              <input name="carrier" value={carrier} onInput={(e) => setCarrier(valueOf(e))} />
            </Field>
            <Field label={t("orders.tracking")}>
              <input name="trackingNo" value={tracking} onInput={(e) => setTracking(valueOf(e))} />
            </Field>
          </>
        )}
      </div>
      <Result result={ship.result} />
      <button type="submit" class="primary" disabled={ship.busy}>
        {t("orders.ship")}
      </button>
    </form>
  )
}

const CashForm = (props: { readonly order: Order; readonly onPaid: () => Promise<void> }) => {
  const { t, api } = useApp()
  const o = props.order
  const [amount, setAmount] = useState(String(Math.max(0, o.total - o.paid)))
  const [reference, setReference] = useState("")
  const [note, setNote] = useState("")
  const cash = useAction()
  const submit = async (e: Event) => {
    e.preventDefault()
    const done = await cash.run(
      () =>
        api.post<PaymentRecorded>(`/orders/${seg(o.orderId)}/cash`, {
          amount: Number(amount),
          ...(reference.trim() === "" ? {} : { reference: reference.trim() }),
          ...(note.trim() === "" ? {} : { note: note.trim() })
        }),
      (r) => (r.status === "duplicate" ? t("orders.cashDuplicate") : t("orders.cashDone"))
    )
    if (done !== undefined) await props.onPaid()
  }
  return (
    <form class="subform" onSubmit={submit}>
      <h3>{t("orders.cash")}</h3>
      <div class="row-fields">
        <Field label={t("orders.cashAmount")}>
          <input
            type="number"
            inputMode="numeric"
            min={1}
            name="amount"
            value={amount}
            onInput={(e) => setAmount(valueOf(e))}
          />
        </Field>
        <Field label={t("orders.cashReference")}>
          <input name="reference" value={reference} onInput={(e) => setReference(valueOf(e))} />
        </Field>
        <Field label={t("orders.cashNote")}>
          <input name="note" value={note} onInput={(e) => setNote(valueOf(e))} />
        </Field>
      </div>
      <Result result={cash.result} />
      <button type="submit" class="primary" disabled={cash.busy}>
        {t("orders.cash")}
      </button>
    </form>
  )
}

const ReasonForm = (props: {
  readonly label: string
  readonly reasonLabel: string
  readonly done: string
  readonly action: (reason: string) => Promise<Order>
  readonly onDone: (order: Order) => void
}) => {
  const [reason, setReason] = useState("")
  const act = useAction()
  const submit = async (e: Event) => {
    e.preventDefault()
    const order = await act.run(
      () => props.action(reason.trim()),
      () => props.done
    )
    if (order !== undefined) props.onDone(order)
  }
  return (
    <form class="subform" onSubmit={submit}>
      <h3>{props.label}</h3>
      <Field label={props.reasonLabel}>
        <input name="reason" required maxLength={500} value={reason} onInput={(e) => setReason(valueOf(e))} />
      </Field>
      <Result result={act.result} />
      <button type="submit" class="danger" disabled={act.busy || reason.trim() === ""}>
        {props.label}
      </button>
    </form>
  )
}
