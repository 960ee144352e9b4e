/**
 * After-sales and carrier shipping in the order view (issue #15): a refund (退款: full or partial,
 * its method and reason code, confirmed, with a `refundId` per submit so a double tap records one
 * refund), a return of a shipment (退貨), the round's orders owing money back (待退款), and,
 * when serve has a carrier (the logistics API answers, not 503), packing for a carrier
 * (超商／宅配寄件), its carrier order (建立物流單) and label (列印標籤), and the parcels that came
 * back unclaimed (未取退回).
 */
import { useState } from "preact/hooks"
import type {
  Carrier,
  CarrierForm,
  CarrierOrderMade,
  CarrierPacked,
  Order,
  RefundDone,
  RefundDue,
  RefundMethod,
  RefundReason,
  RefundsDuePage,
  Returned,
  UnclaimedReturn
} from "../api.js"
import { ApiError, seg } from "../api.js"
import { dateTime, money } from "../format.js"
import type { Key } from "../i18n.js"
import { Field, Result, Show, useAction, useApp, useConfirm, useLoad, valueOf } from "../ui.js"

export const refundMethods: ReadonlyArray<RefundMethod> = ["bank-transfer", "cash", "gateway"]
export const refundReasons: ReadonlyArray<RefundReason> = [
  "damaged",
  "wrong-item",
  "not-collected",
  "buyer-cancelled",
  "out-of-stock",
  "quality",
  "other"
]
export const carriers: ReadonlyArray<Carrier> = ["7-eleven", "familymart", "hi-life", "ok", "tcat"]

/** A fresh idempotency id (the API's `Id`: letters, digits, `-`, `_`). */
const newId = (prefix: string): string =>
  `${prefix}-${typeof crypto.randomUUID === "function" ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`}`

/**
 * A 409 of an after-sales call names no more than `rejected` (core's order errors reach the API
 * as rejections): say what it means for this call (`conflict.refund-refused`, `conflict.return-refused`).
 */
const refusedAs =
  (reason: string) =>
  (e: unknown): never => {
    if (e instanceof ApiError && e.status === 409 && (e.body.reason === "rejected" || e.body.reason === undefined))
      throw new ApiError(409, { ...e.body, reason })
    throw e
  }

/** What the order can still give back: `paid` in the order view is what it received less what went back. */
export const refundableOf = (o: Order): number => Math.max(0, o.paid)

/**
 * 退款: amount (default: all that is refundable), method, reason code, an optional note. Confirmed
 * first; one `refundId` per submit, kept while the request runs, so a second tap is the same refund.
 */
export const RefundForm = (props: {
  readonly order: Order
  readonly amount?: number
  readonly reasonCode?: RefundReason
  /** The refund recorded, and what to tell the organiser. */
  readonly onDone: (done: RefundDone, message: string) => void
}) => {
  const { t, api, lang } = useApp()
  const o = props.order
  const refundable = refundableOf(o)
  const [amount, setAmount] = useState(String(Math.min(props.amount ?? refundable, refundable)))
  const [method, setMethod] = useState<RefundMethod>("bank-transfer")
  const [reasonCode, setReasonCode] = useState<RefundReason>(props.reasonCode ?? "buyer-cancelled")
  const [note, setNote] = useState("")
  const [pending, setPending] = useState<string>()
  const [tooMuch, setTooMuch] = useState(false)
  const act = useAction()
  const confirm = useConfirm()
  const submit = async (e: Event) => {
    e.preventDefault()
    if (act.busy) return
    const n = Number(amount)
    setTooMuch(n > refundable)
    if (n > refundable) return
    const ok = await confirm.ask(
      t("after.refundConfirm", {
        amount: money(lang, n),
        buyer: o.buyer.name ?? o.buyer.id,
        method: t(`after.method.${method}`)
      })
    )
    if (!ok) return
    const refundId = pending ?? newId("rf")
    setPending(refundId)
    const say = (r: RefundDone) =>
      r.status === "duplicate"
        ? t("after.refundDuplicate")
        : t(r.status === "refunded" ? "after.refundedFull" : "after.refundedPartly", { amount: money(lang, r.amount) })
    const done = await act.run(
      () =>
        api
          .post<RefundDone>(`/orders/${seg(o.orderId)}/refunds`, {
            // Always the amount the organiser saw: "all that is left" could be less, should someone refund meanwhile.
            amount: n,
            method,
            reasonCode,
            ...(note.trim() === "" ? {} : { reason: note.trim() }),
            refundId
          })
          .catch(refusedAs("refund-refused")),
      say
    )
    // A refund recorded (or refused): the next submit is a new refund.
    setPending(undefined)
    if (done !== undefined) {
      setAmount(String(refundableOf(done.order)))
      props.onDone(done, say(done))
    }
  }
  return (
    <form class="subform refund-form" onSubmit={submit}>
      <h3>{t("after.refundTitle")}</h3>
      <p class="muted small refundable">{t("after.refundable", { amount: money(lang, refundable) })}</p>
      <div class="row-fields">
        <Field label={t("after.amount")}>
          <input
            type="number"
            inputMode="numeric"
            min={1}
            name="refundAmount"
            required
            value={amount}
            onInput={(e) => setAmount(valueOf(e))}
          />
        </Field>
        <Field label={t("after.method")}>
          <select name="refundMethod" value={method} onChange={(e) => setMethod(valueOf(e) as RefundMethod)}>
            {refundMethods.map((m) => (
              <option key={m} value={m}>
                {t(`after.method.${m}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("after.reasonCode")}>
          <select name="refundReason" value={reasonCode} onChange={(e) => setReasonCode(valueOf(e) as RefundReason)}>
            {refundReasons.map((r) => (
              <option key={r} value={r}>
                {t(`after.reason.${r}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("after.note")}>
          <input name="refundNote" maxLength={500} value={note} onInput={(e) => setNote(valueOf(e))} />
        </Field>
      </div>
      {tooMuch ? (
        <Result result={{ ok: false, message: t("after.tooMuch", { amount: money(lang, refundable) }) }} />
      ) : (
        <Result result={act.result} />
      )}
      <button type="submit" class="danger" name="refund" disabled={act.busy || !(Number(amount) > 0)}>
        {t("after.refundSubmit")}
      </button>
      {confirm.dialog}
    </form>
  )
}

/** 退貨: a shipment (or some of its lines) came back; what it was worth is then due to the buyer. */
export const ReturnForm = (props: {
  readonly order: Order
  readonly shipmentId?: string
  readonly onDone: (done: Returned, message: string) => void
}) => {
  const { t, api, lang } = useApp()
  const o = props.order
  const [shipmentId, setShipmentId] = useState(props.shipmentId ?? "")
  const [reasonCode, setReasonCode] = useState<RefundReason>("damaged")
  const [note, setNote] = useState("")
  const [qty, setQty] = useState<Record<string, string>>({})
  const act = useAction()
  const confirm = useConfirm()
  const submit = async (e: Event) => {
    e.preventDefault()
    const id = shipmentId.trim()
    if (act.busy || id === "") return
    if (!(await confirm.ask(t("after.returnConfirm", { shipment: id })))) return
    const lines = Object.entries(qty)
      .filter(([, n]) => n.trim() !== "" && Number(n) > 0)
      .map(([sku, n]) => ({ sku, qty: Number(n) }))
    const done = await act.run(
      () =>
        api
          .post<Returned>(`/shipments/${seg(id)}/return`, {
            reasonCode,
            ...(lines.length === 0 ? {} : { lines }),
            ...(note.trim() === "" ? {} : { reason: note.trim() })
          })
          .catch(refusedAs("return-refused")),
      (r) => t("after.returned", { amount: money(lang, r.refundDue) })
    )
    if (done !== undefined) props.onDone(done, t("after.returned", { amount: money(lang, done.refundDue) }))
  }
  return (
    <form class="subform return-form" onSubmit={submit}>
      <h3>{t("after.returnTitle")}</h3>
      <div class="row-fields">
        <Field label={t("after.shipment")} hint={t("after.shipmentHint")}>
          <input
            name="shipmentId"
            required
            autoComplete="off"
            value={shipmentId}
            onInput={(e) => setShipmentId(valueOf(e))}
          />
        </Field>
        <Field label={t("after.reasonCode")}>
          <select name="returnReason" value={reasonCode} onChange={(e) => setReasonCode(valueOf(e) as RefundReason)}>
            {refundReasons.map((r) => (
              <option key={r} value={r}>
                {t(`after.reason.${r}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("after.note")}>
          <input name="returnNote" maxLength={500} value={note} onInput={(e) => setNote(valueOf(e))} />
        </Field>
      </div>
      <fieldset class="line-inputs">
        <legend class="label">{t("after.returnLines")}</legend>
        {o.lines
          .filter((l) => l.qty > 0)
          .map((l) => (
            <Field key={l.sku} label={l.sku} class="qty">
              <input
                type="number"
                inputMode="numeric"
                min={0}
                max={l.qty}
                name={`return-${l.sku}`}
                value={qty[l.sku] ?? ""}
                onInput={(e) => setQty({ ...qty, [l.sku]: valueOf(e) })}
              />
            </Field>
          ))}
      </fieldset>
      <Result result={act.result} />
      <button type="submit" class="danger" name="return" disabled={act.busy || shipmentId.trim() === ""}>
        {t("after.returnSubmit")}
      </button>
      {confirm.dialog}
    </form>
  )
}

/** 待退款: the round's orders owing money back, each with a button that opens its refund form. */
export const RefundsDue = (props: {
  readonly roundId: string
  /** Changes when a refund or a return was recorded on the page: the list loads again. */
  readonly version: number
  readonly onRefund: (due: RefundDue) => void
}) => {
  const { t, api, lang } = useApp()
  const [loaded, reload] = useLoad(
    () => api.get<RefundsDuePage>("/refunds-due", { round: props.roundId }),
    [props.roundId, props.version]
  )
  return (
    <Show loaded={loaded} reload={reload}>
      {(page) =>
        page.items.length === 0 ? null : (
          <section class="refunds-due panel" aria-label={t("after.dueTitle", { n: page.items.length })}>
            <h2 class="after-head">{t("after.dueTitle", { n: page.items.length })}</h2>
            <ul class="due-list">
              {page.items.map((d) => (
                <li key={d.orderId} class="due-row" data-order-id={d.orderId}>
                  <div class="due-main">
                    <span class="mono small">{d.orderId}</span>
                    <span class="muted small">
                      {d.causes
                        .map(
                          (c) =>
                            `${t(`after.cause.${c.kind}`)}${c.reasonCode === undefined ? "" : `・${t(`after.reason.${c.reasonCode}`)}`}`
                        )
                        .join("，")}
                      {" · "}
                      {dateTime(lang, d.since)}
                    </span>
                  </div>
                  <strong class="due-amount">
                    {t("after.due")} {money(lang, d.due)}
                  </strong>
                  <button type="button" class="secondary" name="refundDue" onClick={() => props.onRefund(d)}>
                    {t("after.refundNow")}
                  </button>
                </li>
              ))}
            </ul>
          </section>
        )
      }
    </Show>
  )
}

/** Whether serve has a carrier: asked once a page load (`GET /logistics/unclaimed` answers 200, not 503). */
let carrierProbe: Promise<boolean> | undefined
export const useCarrier = (): boolean => {
  const { api } = useApp()
  carrierProbe ??= api.get<ReadonlyArray<UnclaimedReturn>>("/logistics/unclaimed").then(
    () => true,
    // 503: no carrier configured; 403: a helper (the list is the organiser's); either way, no carrier UI.
    () => false
  )
  const [loaded] = useLoad(() => carrierProbe as Promise<boolean>, [])
  return loaded.state === "done" && loaded.value
}

/** Posts the carrier's label form in a new tab (opened first, while the tap still allows a window). */
const postLabel = (form: CarrierForm, name: string, tab: Window | null) => {
  const f = document.createElement("form")
  f.method = "POST"
  f.action = form.action
  f.target = tab === null ? "_blank" : name
  f.acceptCharset = "UTF-8"
  for (const [k, v] of Object.entries(form.fields)) {
    const input = document.createElement("input")
    input.type = "hidden"
    input.name = k
    input.value = v
    f.append(input)
  }
  document.body.append(f)
  f.submit()
  f.remove()
}

/** 超商／宅配寄件 → 建立物流單 → 列印標籤, for a paid order when serve has a carrier. */
export const CarrierShip = (props: { readonly order: Order; readonly onChanged: () => Promise<void> }) => {
  const { t, api } = useApp()
  const o = props.order
  const [carrier, setCarrier] = useState<Carrier>("7-eleven")
  const [qty, setQty] = useState<Record<string, number>>(() =>
    Object.fromEntries(o.lines.filter((l) => l.qty > 0).map((l) => [l.sku, l.qty]))
  )
  const [packed, setPacked] = useState<CarrierPacked>()
  const [made, setMade] = useState<CarrierOrderMade>()
  const [name, setName] = useState(o.buyer.name ?? "")
  const [phone, setPhone] = useState("")
  const [zipCode, setZipCode] = useState("")
  const [address, setAddress] = useState("")
  // Home delivery (not a store chain) needs the receiver's address.
  const home = carrier === "tcat"
  const pack = useAction()
  const order = useAction()
  const label = useAction()
  const doPack = async (e: Event) => {
    e.preventDefault()
    const lines = Object.entries(qty)
      .filter(([, n]) => n > 0)
      .map(([sku, n]) => ({ sku, qty: n }))
    const p = await pack.run(
      () => api.post<CarrierPacked>(`/orders/${seg(o.orderId)}/carrier-shipments`, { lines, carrier }),
      (r) => t(carrier === "tcat" ? "carrier.packed" : "carrier.chooseStore", { shipment: r.shipmentId })
    )
    if (p !== undefined) {
      setPacked(p)
      await props.onChanged()
    }
  }
  const doOrder = async (e: Event) => {
    e.preventDefault()
    if (packed === undefined) return
    const m = await order.run(
      () =>
        api.post<CarrierOrderMade>(`/shipments/${seg(packed.shipmentId)}/carrier-order`, {
          receiver: {
            name: name.trim(),
            cellPhone: phone.trim(),
            ...(home ? { zipCode: zipCode.trim(), address: address.trim() } : {})
          }
        }),
      (r) => t(r.created ? "carrier.made" : "carrier.madeBefore", { tracking: r.trackingNo })
    )
    if (m !== undefined) setMade(m)
  }
  const [blocked, setBlocked] = useState(false)
  const printLabel = async () => {
    if (made === undefined) return
    setBlocked(false)
    const name = `kaituan-label-${Date.now()}`
    const tab = window.open("about:blank", name)
    const form = await label.run(() => api.get<CarrierForm>(`/shipments/${seg(made.shipmentId)}/label`))
    if (form === undefined) {
      tab?.close()
      return
    }
    // The page's Content-Security-Policy may not allow posting to the carrier (`form-action`): say so.
    const onViolation = (e: SecurityPolicyViolationEvent) => {
      if (e.effectiveDirective !== "form-action") return
      setBlocked(true)
      tab?.close()
    }
    document.addEventListener("securitypolicyviolation", onViolation)
    postLabel(form, name, tab)
    setTimeout(() => document.removeEventListener("securitypolicyviolation", onViolation), 5_000)
  }
  return (
    <div class="subform carrier-ship">
      <h3>{t("carrier.title")}</h3>
      {packed === undefined ? (
        <form onSubmit={doPack}>
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
                    name={`pack-${l.sku}`}
                    value={qty[l.sku] ?? 0}
                    onInput={(e) => setQty({ ...qty, [l.sku]: Number(valueOf(e)) })}
                  />
                </Field>
              ))}
          </div>
          <Field label={t("carrier.carrier")}>
            <select name="carrier" value={carrier} onChange={(e) => setCarrier(valueOf(e) as Carrier)}>
              {carriers.map((c) => (
                <option key={c} value={c}>
                  {t(`carrier.${c}` as Key)}
                </option>
              ))}
            </select>
          </Field>
          <Result result={pack.result} />
          <button type="submit" class="primary" name="pack" disabled={pack.busy}>
            {t("carrier.pack")}
          </button>
        </form>
      ) : (
        <form onSubmit={doOrder}>
          <Result result={pack.result} />
          <h4>{t("carrier.orderTitle")}</h4>
          <div class="row-fields">
            <Field label={t("carrier.receiverName")}>
              <input name="receiverName" required maxLength={40} value={name} onInput={(e) => setName(valueOf(e))} />
            </Field>
            <Field label={t("carrier.receiverPhone")}>
              <input
                name="receiverPhone"
                type="tel"
                inputMode="tel"
                required
                pattern="09[0-9]{8}"
                value={phone}
                onInput={(e) => setPhone(valueOf(e))}
              />
            </Field>
          </div>
          {home ? (
            <div class="row-fields">
              <Field label={t("carrier.zipCode")}>
                <input
                  name="receiverZip"
                  inputMode="numeric"
                  required
                  pattern="[0-9]{3,6}"
                  value={zipCode}
                  onInput={(e) => setZipCode(valueOf(e))}
                />
              </Field>
              <Field label={t("carrier.address")}>
                <input
                  name="receiverAddress"
                  required
                  maxLength={200}
                  value={address}
                  onInput={(e) => setAddress(valueOf(e))}
                />
              </Field>
            </div>
          ) : null}
          <Result result={order.result} />
          {made === undefined ? (
            <button type="submit" class="primary" name="carrierOrder" disabled={order.busy}>
              {t("carrier.makeOrder")}
            </button>
          ) : (
            <>
              <p class="tracking" data-tracking={made.trackingNo}>
                <span class="mono">{made.trackingNo}</span>
              </p>
              <button type="button" class="secondary" name="label" disabled={label.busy} onClick={printLabel}>
                {t("carrier.label")}
              </button>
              <Result result={label.result} />
              {blocked ? <Result result={{ ok: false, message: t("carrier.labelBlocked") }} /> : null}
            </>
          )}
        </form>
      )}
    </div>
  )
}

/** 未取退回: parcels that came back unclaimed, each marked 已處理 once dealt with; only when serve has a carrier. */
export const Unclaimed = () => {
  const { t, api, lang } = useApp()
  const has = useCarrier()
  const [loaded, reload] = useLoad(
    () => (has ? api.get<ReadonlyArray<UnclaimedReturn>>("/logistics/unclaimed") : Promise.resolve([] as const)),
    [has]
  )
  const act = useAction()
  if (!has || loaded.state !== "done") return null
  const items = loaded.value
  return (
    <section class="unclaimed panel" aria-label={t("carrier.unclaimedTitle", { n: items.length })}>
      <h2 class="after-head">{t("carrier.unclaimedTitle", { n: items.length })}</h2>
      {items.length === 0 ? <p class="muted small">{t("carrier.unclaimedEmpty")}</p> : null}
      <ul class="due-list">
        {items.map((u) => (
          <li key={u.shipmentId} class="due-row" data-shipment-id={u.shipmentId}>
            <div class="due-main">
              <span class="mono small">{u.trackingNo ?? u.shipmentId}</span>
              <span class="muted small">
                {u.carrier === undefined ? "" : `${t(`carrier.${u.carrier}` as Key)} · `}
                {u.orderId} · {dateTime(lang, u.at)}
              </span>
            </div>
            <button
              type="button"
              class="secondary"
              name="resolve"
              disabled={act.busy}
              onClick={async () => {
                const r = await act.run(
                  () => api.post(`/logistics/unclaimed/${seg(u.shipmentId)}/resolve`),
                  () => t("carrier.resolved")
                )
                if (r !== undefined) reload()
              }}
            >
              {t("carrier.resolve")}
            </button>
          </li>
        ))}
      </ul>
      <Result result={act.result} />
    </section>
  )
}
