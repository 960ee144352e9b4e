/**
 * Payments (organiser only): drop or pick a bank statement → what was applied, and each decision
 * left to the organiser with its explanation → approve (choosing the order when several fit) or
 * reject; and cash received at a meet-up. A helper sees why not, and the API's 403.
 */
import { useState } from "preact/hooks"
import type { Decision, PaymentRecorded, StatementImported } from "../api.js"
import { seg } from "../api.js"
import { dateTime, money } from "../format.js"
import { Badge, ErrorBox, Field, Loading, Result, toneOf, tr, useAction, useApp, useLoad, valueOf } from "../ui.js"
import { RoundHeader, useRound } from "./RoundNav.js"

const TODO = new Set(["review", "unmatched"])

export const Payments = (props: { readonly roundId: string }) => {
  const { t, api, can } = useApp()
  const roundPath = `/rounds/${seg(props.roundId)}`
  const [round] = useRound(props.roundId)
  const [decisions, reload, update] = useLoad(
    () => api.get<ReadonlyArray<Decision>>(`${roundPath}/decisions`),
    [props.roundId]
  )
  const [filter, setFilter] = useState<"todo" | "all">("todo")
  const organiser = can("payments.approve")

  const list = decisions.state === "done" ? decisions.value : []
  // A decision just approved or rejected stays in view (with its new status) until the page is left.
  const [decided, setDecided] = useState<ReadonlySet<string>>(new Set())
  const shown = filter === "todo" ? list.filter((d) => TODO.has(d.status) || decided.has(d.decisionId)) : list
  const todo = list.filter((d) => TODO.has(d.status)).length

  return (
    <>
      <RoundHeader
        roundId={props.roundId}
        current="payments"
        round={round.state === "done" ? round.value : undefined}
      />
      {organiser ? null : (
        <p class="notice warn" role="note">
          {t("payments.helperOnly")}
        </p>
      )}
      {can("payments.importStatement") ? <Upload roundPath={roundPath} onImported={reload} /> : null}
      <section aria-labelledby="decisions">
        <div class="section-head">
          <h2 id="decisions">{t("payments.decisions")}</h2>
          <fieldset class="chips">
            <legend class="sr-only">{t("payments.decisions")}</legend>
            <button type="button" class="chip" aria-pressed={filter === "todo"} onClick={() => setFilter("todo")}>
              {t("payments.filter.todo")}
              {decisions.state === "done" ? <span class="count">{todo}</span> : null}
            </button>
            <button type="button" class="chip" aria-pressed={filter === "all"} onClick={() => setFilter("all")}>
              {t("payments.filter.all")}
              {decisions.state === "done" ? <span class="count">{list.length}</span> : null}
            </button>
          </fieldset>
        </div>
        {decisions.state === "loading" ? (
          <Loading />
        ) : decisions.state === "failed" ? (
          <ErrorBox error={decisions.error} onRetry={reload} />
        ) : shown.length === 0 ? (
          <p class="empty">{t("payments.empty")}</p>
        ) : (
          <ul class="cards decisions">
            {shown.map((d) => (
              <DecisionCard
                key={d.decisionId}
                decision={d}
                canDecide={organiser}
                onDecided={(next) => {
                  setDecided((s) => new Set([...s, next.decisionId]))
                  update((all) => all.map((x) => (x.decisionId === next.decisionId ? next : x)))
                }}
              />
            ))}
          </ul>
        )}
      </section>
      {can("payments.cash") ? <CashByOrder /> : null}
    </>
  )
}

const Upload = (props: { readonly roundPath: string; readonly onImported: () => void }) => {
  const { t, api, lang } = useApp()
  const up = useAction()
  const [over, setOver] = useState(false)
  const [imported, setImported] = useState<StatementImported>()
  const send = async (file: File) => {
    setImported(undefined)
    const csv = /\.(csv|txt)$/i.test(file.name) || file.type === "text/csv"
    const r = await up.run(() =>
      api.upload<StatementImported>(
        `${props.roundPath}/statements`,
        file,
        csv ? "text/csv" : "application/octet-stream"
      )
    )
    if (r !== undefined) {
      setImported(r)
      props.onImported()
    }
  }
  return (
    <section class="panel" aria-labelledby="upload">
      <h2 id="upload" class="sr-only">
        {t("payments.pick")}
      </h2>
      <label
        class={`dropzone ${over ? "over" : ""}`}
        onDragOver={(e) => {
          e.preventDefault()
          setOver(true)
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault()
          setOver(false)
          const file = e.dataTransfer?.files[0]
          if (file !== undefined) send(file)
        }}
      >
        <span class="drop-title">{up.busy ? t("payments.uploading") : t("payments.drop")}</span>
        <span class="hint">{t("payments.dropHint")}</span>
        <span class="button secondary file-button" aria-hidden="true">
          {t("file.choose")}
        </span>
        <input
          type="file"
          name="statement"
          class="file-overlay"
          accept=".csv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
          aria-label={t("payments.pick")}
          disabled={up.busy}
          onChange={(e) => {
            const file = e.currentTarget.files?.[0]
            if (file !== undefined) send(file)
            e.currentTarget.value = ""
          }}
        />
      </label>
      <Result result={up.result} />
      {imported === undefined ? null : (
        <div class="notice ok" role="status">
          <p>
            {t("payments.imported", {
              layout: imported.layout,
              encoding: imported.encoding,
              n: imported.applied,
              amount: money(lang, imported.appliedAmount).replace("NT$ ", "")
            })}
          </p>
          {imported.unreadable.length === 0 ? null : (
            <>
              <p>{t("payments.unreadable", { n: imported.unreadable.length })}</p>
              <ul>
                {imported.unreadable.slice(0, 10).map((u) => (
                  <li key={u.line}>
                    {t("payments.row", { row: u.line })}: {u.message}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </section>
  )
}

const DecisionCard = (props: {
  readonly decision: Decision
  readonly canDecide: boolean
  readonly onDecided: (d: Decision) => void
}) => {
  const { t, api, lang } = useApp()
  const d = props.decision
  const act = useAction()
  const orders = [...new Set([...d.orderIds, ...d.candidates.flatMap((c) => c.orderIds)])]
  const [orderId, setOrderId] = useState(orders.length === 1 ? orders[0]! : "")
  const open = TODO.has(d.status)
  const approve = async () => {
    const r = await act.run(
      () =>
        api.post<Decision>(
          `/decisions/${seg(d.decisionId)}/approve`,
          orderId.trim() === "" ? {} : { orderId: orderId.trim() }
        ),
      () => t("payments.approved")
    )
    if (r !== undefined) props.onDecided(r)
  }
  const reject = async () => {
    const r = await act.run(
      () => api.post<Decision>(`/decisions/${seg(d.decisionId)}/reject`),
      () => t("payments.rejected")
    )
    if (r !== undefined) props.onDecided(r)
  }
  return (
    <li class="card decision-card" data-decision-id={d.decisionId} data-status={d.status}>
      <div class="card-head">
        <strong class="amount">{money(lang, d.amount)}</strong>
        <Badge tone={toneOf(d.status)}>{tr(t, `payments.status.${d.status}`, d.status)}</Badge>
      </div>
      <p class="muted small">
        {dateTime(lang, d.at)}
        {d.bankCode === undefined ? "" : ` · ${t("payments.bank", { bank: d.bankCode })}`}
        {d.last5 === undefined ? "" : ` · ${t("payments.last5", { last5: d.last5 })}`}
        {d.row === undefined ? "" : ` · ${t("payments.row", { row: d.row })}`}
      </p>
      <dl class="facts">
        <dt>{t("payments.explanation")}</dt>
        <dd class="explanation">
          <span class="block">{tr(t, `payments.reason.${d.reason}`, d.reason, { n: d.candidates.length })}</span>
          <span class="block muted small">{t("payments.details", { text: d.explanation })}</span>
        </dd>
      </dl>
      {d.candidates.length === 0 ? null : (
        <fieldset class="candidates" disabled={!open || !props.canDecide}>
          <legend>{t("payments.candidates")}</legend>
          {d.candidates.map((c) =>
            c.orderIds.map((id) => (
              <label key={`${c.buyerId}-${id}`} class="radio">
                <input
                  type="radio"
                  name={`order-${d.decisionId}`}
                  value={id}
                  checked={orderId === id}
                  onChange={() => setOrderId(id)}
                />
                <span>
                  <strong>{c.buyerName ?? c.buyerId}</strong>{" "}
                  <span class="muted small">
                    {t("payments.open", { open: money(lang, c.open).replace("NT$ ", "") })} ·{" "}
                    {tr(t, `payments.fit.${c.fit}`, c.fit)}
                  </span>
                  <span class="mono small block">{id}</span>
                </span>
              </label>
            ))
          )}
        </fieldset>
      )}
      <Result result={act.result} />
      {open && props.canDecide ? (
        <div class="actions">
          {orders.length === 0 ? (
            <Field label={t("payments.pickOrder")} class="grow">
              <input name="orderId" value={orderId} onInput={(e) => setOrderId(valueOf(e))} />
            </Field>
          ) : null}
          <button
            type="button"
            class="primary"
            disabled={act.busy || (orders.length > 1 && orderId === "")}
            onClick={approve}
          >
            {t("payments.approve")}
          </button>
          <button type="button" class="secondary" disabled={act.busy} onClick={reject}>
            {t("payments.reject")}
          </button>
        </div>
      ) : null}
    </li>
  )
}

const CashByOrder = () => {
  const { t, api } = useApp()
  const [orderId, setOrderId] = useState("")
  const [amount, setAmount] = useState("")
  const [reference, setReference] = useState("")
  const cash = useAction()
  const submit = async (e: Event) => {
    e.preventDefault()
    await cash.run(
      () =>
        api.post<PaymentRecorded>(`/orders/${seg(orderId.trim())}/cash`, {
          amount: Number(amount),
          ...(reference.trim() === "" ? {} : { reference: reference.trim() })
        }),
      (r) => (r.status === "duplicate" ? t("orders.cashDuplicate") : t("orders.cashDone"))
    )
  }
  return (
    <section class="panel" aria-labelledby="cash">
      <h2 id="cash">{t("payments.cash")}</h2>
      <form class="subform" onSubmit={submit}>
        <div class="row-fields">
          <Field label={t("payments.cashOrder")}>
            <input name="cashOrderId" required value={orderId} onInput={(e) => setOrderId(valueOf(e))} />
          </Field>
          <Field label={t("orders.cashAmount")}>
            <input
              type="number"
              inputMode="numeric"
              min={1}
              required
              name="cashAmount"
              value={amount}
              onInput={(e) => setAmount(valueOf(e))}
            />
          </Field>
          <Field label={t("orders.cashReference")}>
            <input name="cashReference" value={reference} onInput={(e) => setReference(valueOf(e))} />
          </Field>
        </div>
        <Result result={cash.result} />
        <button type="submit" class="primary" disabled={cash.busy}>
          {t("payments.cash")}
        </button>
      </form>
    </section>
  )
}
