/**
 * 門市櫃台 (the counter, POS), one screen for a shop assistant on a tablet: the lookup box has the
 * focus (a scanner types the pickup code and Enter), then for each order found what is due, pay
 * cash or by card on the shop's terminal, confirm the pickup, issue the e-invoice with the carrier
 * the buyer gives, and print a receipt when the server offers one (the button is hidden unless the
 * API's OpenAPI document lists a receipt route).
 */
import { useEffect, useRef, useState } from "preact/hooks"
import type { CounterLookup, CounterOrder, CounterPaid, OrderInvoice, PickupDone } from "../api.js"
import { seg } from "../api.js"
import { money } from "../format.js"
import type { Key } from "../i18n.js"
import { Badge, Field, PageTitle, Result, tr, useAction, useApp, valueOf } from "../ui.js"

/** A fresh till reference: one per payment the assistant makes (a double tap sends the same one). */
const newReference = (): string => `till-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`

/** What the assistant types for the invoice: a mobile barcode, a love code or a company's 統編. */
export const detailsOf = (
  text: string
):
  | {
      readonly carrier:
        | { readonly _tag: "Mobile"; readonly barcode: string }
        | { readonly _tag: "Donation"; readonly loveCode: string }
        | { readonly _tag: "Member" }
      readonly taxId?: string
    }
  | undefined => {
  const s = text.trim().toUpperCase().replace(/\s+/g, "")
  if (s === "") return undefined
  if (/^\/?[0-9A-Z.+-]{7}$/.test(s) && !/^[0-9]{7}$/.test(s))
    return { carrier: { _tag: "Mobile", barcode: s.startsWith("/") ? s : `/${s}` } }
  if (/^[0-9]{8}$/.test(s)) return { carrier: { _tag: "Member" }, taxId: s }
  if (/^[0-9]{3,7}$/.test(s)) return { carrier: { _tag: "Donation", loveCode: s } }
  return undefined
}

/** Where the server prints a receipt, when its API document lists one (`…/receipt…`). */
const useReceiptRoute = (): string | undefined => {
  const [route, setRoute] = useState<string>()
  useEffect(() => {
    let live = true
    fetch(`${window.location.origin}/api/v1/openapi.json`)
      .then((r) => (r.ok ? r.json() : undefined))
      .then((doc: { readonly paths?: Record<string, unknown> } | undefined) => {
        const path = Object.keys(doc?.paths ?? {}).find((p) => /\/orders\/\{orderId\}\/receipt/.test(p))
        if (live && path !== undefined) setRoute(path)
      })
      .catch(() => {})
    return () => {
      live = false
    }
  }, [])
  return route
}

export const CounterPage = (props: { readonly initialQuery: string }) => {
  const { t, api } = useApp()
  const [query, setQuery] = useState(props.initialQuery)
  const [found, setFound] = useState<CounterLookup>()
  const find = useAction()
  const input = useRef<HTMLInputElement>(null)
  const receipt = useReceiptRoute()

  const lookup = async (value: string) => {
    const q = value.trim()
    setFound(undefined)
    if (q === "") return
    const r = await find.run(() => api.get<CounterLookup>("/counter/lookup", { q }))
    if (r !== undefined) setFound(r)
  }

  useEffect(() => {
    input.current?.focus()
    if (props.initialQuery !== "") lookup(props.initialQuery)
  }, [])

  const replace = (next: CounterOrder) =>
    setFound((f) =>
      f === undefined ? f : { ...f, orders: f.orders.map((o) => (o.order.orderId === next.order.orderId ? next : o)) }
    )

  return (
    <div class="counter">
      <PageTitle sub={t("counter.intro")}>{t("counter.title")}</PageTitle>
      <form
        class="search counter-search"
        onSubmit={(e) => {
          e.preventDefault()
          lookup(query)
        }}
      >
        <Field label={t("counter.query")} class="grow">
          <input
            ref={input}
            name="q"
            value={query}
            autocomplete="off"
            autocapitalize="characters"
            spellcheck={false}
            enterkeyhint="search"
            class="mono counter-query"
            onInput={(e) => setQuery(valueOf(e))}
          />
        </Field>
        <button type="submit" class="primary big" disabled={find.busy}>
          {t("counter.find")}
        </button>
      </form>
      <Result result={find.result} />
      {found === undefined ? null : found.orders.length === 0 ? (
        <p class="notice" role="status">
          {t("counter.none")}
        </p>
      ) : (
        found.orders.map((o) => (
          <CounterCard
            key={o.order.orderId}
            counter={o}
            code={found.matchedBy === "pickup-code" ? query.trim() : ""}
            receipt={receipt}
            onChange={replace}
          />
        ))
      )}
    </div>
  )
}

const CounterCard = (props: {
  readonly counter: CounterOrder
  readonly code: string
  readonly receipt: string | undefined
  readonly onChange: (next: CounterOrder) => void
}) => {
  const { t, api, lang } = useApp()
  const { order, due, pickups, invoice } = props.counter
  const act = useAction()
  const [reference, setReference] = useState(newReference)
  const [cardRef, setCardRef] = useState("")
  const [code, setCode] = useState(props.code)
  const [carrier, setCarrier] = useState(
    invoice.carrier?._tag === "Mobile"
      ? invoice.carrier.barcode
      : invoice.carrier?._tag === "Donation"
        ? invoice.carrier.loveCode
        : ""
  )
  const waiting = pickups.filter((p) => p.status === "shipped")

  const pay = async (method: "cash" | "card") => {
    const ref = method === "cash" ? reference : cardRef.trim()
    const paid = await act.run(
      () => api.post<CounterPaid>(`/counter/orders/${seg(order.orderId)}/pay`, { method, reference: ref }),
      (r) =>
        t(method === "cash" ? "counter.paidCash" : "counter.paidCard", { amount: money(lang, due) }) +
        (r.status === "duplicate" ? ` (${t("counter.duplicate")})` : "")
    )
    if (paid !== undefined) {
      setReference(newReference())
      setCardRef("")
      props.onChange(paid.counter)
    }
  }

  const confirm = async (shipmentId: string) => {
    const done = await act.run(
      () => api.post<PickupDone>(`/pickups/${seg(shipmentId)}/confirm`, { code: code.trim() }),
      () => t("pickup.confirmed")
    )
    if (done !== undefined)
      props.onChange({
        ...props.counter,
        pickups: pickups.map((p) => (p.shipmentId === shipmentId ? { ...p, status: done.status } : p))
      })
  }

  const issue = async () => {
    const details = detailsOf(carrier)
    if (carrier.trim() !== "" && details === undefined) {
      await act.run(() => Promise.reject(new Error(t("counter.badCarrier"))))
      return
    }
    const done = await act.run(
      () => api.post<OrderInvoice>(`/orders/${seg(order.orderId)}/invoice`, details === undefined ? {} : { details }),
      (r) => (r.status === "issued" ? t("counter.issued", { no: r.invoiceNo ?? "" }) : t("counter.invoiceQueued"))
    )
    if (done !== undefined) props.onChange({ ...props.counter, invoice: done })
  }

  /** The receipt (an 80 mm PDF) opened for the printer, fetched with the session's token. */
  const printReceipt = async () => {
    const route = props.receipt
    if (route === undefined) return
    const file = await act.run(() =>
      api.download(route.replace(/^\/api\/v1/, "").replace("{orderId}", seg(order.orderId)))
    )
    if (file !== undefined) window.open(URL.createObjectURL(file.blob), "_blank", "noopener")
  }

  return (
    <section class="panel counter-card" aria-labelledby={`counter-${order.orderId}`} data-order-id={order.orderId}>
      <div class="card-head">
        <h2 id={`counter-${order.orderId}`}>{order.buyer.name ?? order.buyerId}</h2>
        <Badge tone={due === 0 ? "green" : "amber"}>{t(`status.${order.status}` as Key)}</Badge>
      </div>
      <p class="muted small">{t("orders.orderId", { id: order.orderId })}</p>
      <div class="counter-grid">
        <div class="counter-due">
          <dl class="counter-money">
            <dt>{t("counter.total")}</dt>
            <dd>{money(lang, order.total)}</dd>
            <dt>{t("counter.paid")}</dt>
            <dd>{money(lang, order.paid)}</dd>
          </dl>
          <p class="counter-amount" data-due={due}>
            <span>{t("counter.due")}</span>
            <strong>{money(lang, due)}</strong>
          </p>
          {due > 0 ? (
            <div class="counter-pay">
              <button type="button" class="primary big" disabled={act.busy} onClick={() => pay("cash")}>
                {t("counter.payCash")}
              </button>
              <Field label={t("counter.cardRef")}>
                <input
                  name="cardRef"
                  value={cardRef}
                  autocomplete="off"
                  class="mono"
                  onInput={(e) => setCardRef(valueOf(e))}
                />
              </Field>
              <button
                type="button"
                class="secondary big"
                disabled={act.busy || cardRef.trim() === ""}
                onClick={() => pay("card")}
              >
                {t("counter.payCard")}
              </button>
            </div>
          ) : (
            <p class="notice ok">{t("counter.settled")}</p>
          )}
        </div>
        <div class="counter-side">
          <h3>{t("counter.pickups")}</h3>
          {pickups.length === 0 ? <p class="muted">{t("counter.noPickup")}</p> : null}
          <ul class="plain">
            {pickups.map((p) => (
              <li key={p.shipmentId} class="counter-pickup" data-shipment-id={p.shipmentId}>
                <span>
                  {p.lines.map((l) => `${l.sku} × ${l.qty}`).join("、")}{" "}
                  <Badge tone={p.status === "picked-up" ? "green" : p.locked ? "red" : "amber"}>
                    {tr(t, `pickup.status.${p.status}`, p.status)}
                  </Badge>
                </span>
              </li>
            ))}
          </ul>
          {waiting.length > 0 ? (
            <div class="counter-confirm">
              <Field label={t("pickup.code")}>
                <input
                  name="code"
                  value={code}
                  autocomplete="off"
                  autocapitalize="characters"
                  class="mono"
                  onInput={(e) => setCode(valueOf(e))}
                />
              </Field>
              <button
                type="button"
                class="primary big"
                disabled={act.busy || code.trim() === "" || due > 0}
                onClick={() => confirm(waiting[0]!.shipmentId)}
              >
                {t("pickup.confirm")}
              </button>
              {due > 0 ? <p class="muted small">{t("counter.payFirst")}</p> : null}
            </div>
          ) : null}
          <h3>{t("counter.invoice")}</h3>
          {invoice.status === "issued" || invoice.status === "voided" ? (
            <p class="counter-invoice" data-invoice-no={invoice.invoiceNo}>
              <strong class="mono">{invoice.invoiceNo}</strong>{" "}
              <Badge tone={invoice.status === "issued" ? "green" : "red"}>
                {tr(t, `counter.invoice.${invoice.status}`, invoice.status)}
              </Badge>
            </p>
          ) : (
            <div class="counter-issue">
              {invoice.lastFailure === undefined ? null : (
                <p class="notice error small">{invoice.lastFailure.message}</p>
              )}
              <Field label={t("counter.carrier")}>
                <input
                  name="carrier"
                  value={carrier}
                  placeholder="/ABC+123"
                  autocomplete="off"
                  autocapitalize="characters"
                  class="mono"
                  onInput={(e) => setCarrier(valueOf(e))}
                />
              </Field>
              <button type="button" class="secondary big" disabled={act.busy || due > 0} onClick={issue}>
                {invoice.status === "requested" ? t("counter.issueAgain") : t("counter.issue")}
              </button>
            </div>
          )}
          {props.receipt === undefined ? null : (
            <button type="button" class="secondary big" disabled={act.busy} onClick={printReceipt}>
              {t("counter.receipt")}
            </button>
          )}
        </div>
      </div>
      <Result result={act.result} />
    </section>
  )
}
