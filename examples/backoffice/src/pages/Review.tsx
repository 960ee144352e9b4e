/**
 * The review queue: each comment the parser was unsure of, with its reason and suggested lines.
 * One click accepts the suggestion; or edit the lines (add to the order, or amend it), cancel the
 * buyer's order, or dismiss. Below it, what did not become an order and why.
 */
import { useState } from "preact/hooks"
import type { NotOrderedItem, Report, Resolve, Resolved, ReviewItem } from "../api.js"
import { seg } from "../api.js"
import { dateTime } from "../format.js"
import type { Key } from "../i18n.js"
import { Badge, ErrorBox, Field, Loading, Result, Show, tr, useAction, useApp, useLoad, valueOf } from "../ui.js"
import { RoundHeader, useRound } from "./RoundNav.js"

export const Review = (props: { readonly roundId: string }) => {
  const { t, api } = useApp()
  const roundPath = `/rounds/${seg(props.roundId)}`
  const [round] = useRound(props.roundId)
  const [queue, reload, update] = useLoad(
    () => api.get<ReadonlyArray<ReviewItem>>(`${roundPath}/review`),
    [props.roundId]
  )
  const [report] = useLoad(() => api.get<Report>(`${roundPath}/report`), [props.roundId])
  const [notOrdered, reloadNotOrdered] = useLoad(
    () => api.get<ReadonlyArray<NotOrderedItem>>(`${roundPath}/not-ordered`),
    [props.roundId]
  )
  const skus = report.state === "done" ? report.value.stock.map((s) => s.sku) : []
  const [done, setDone] = useState<ReadonlyArray<{ item: ReviewItem; action: Resolve["action"] }>>([])

  const open = queue.state === "done" ? queue.value.length : undefined
  return (
    <>
      <RoundHeader
        roundId={props.roundId}
        current="review"
        round={round.state === "done" ? round.value : undefined}
        {...(open === undefined ? {} : { badge: { review: open } })}
      />
      <p class="muted">{t("review.intro")}</p>
      {done.map((d) => (
        <p key={d.item.commentId} class="notice ok" role="status">
          {d.item.buyer.name ?? d.item.buyer.id}「{d.item.text}」—{" "}
          {t("review.resolved", { action: t(resolvedKey[d.action]) })}
        </p>
      ))}
      {queue.state === "loading" ? (
        <Loading />
      ) : queue.state === "failed" ? (
        <ErrorBox error={queue.error} onRetry={reload} />
      ) : queue.value.length === 0 ? (
        <p class="empty">{t("review.empty")}</p>
      ) : (
        <ul class="cards review">
          {queue.value.map((item) => (
            <ReviewCard
              key={item.commentId}
              item={item}
              skus={skus}
              roundPath={roundPath}
              onResolved={(action) => {
                update((items) => items.filter((i) => i.commentId !== item.commentId))
                setDone((d) => [...d, { item, action }])
                reloadNotOrdered()
              }}
            />
          ))}
        </ul>
      )}
      <Show loaded={notOrdered} reload={reloadNotOrdered}>
        {(items) => (
          <details class="panel not-ordered" open={items.length > 0 && items.length <= 20}>
            <summary>
              <h2>{t("review.notOrdered", { n: items.length })}</h2>
            </summary>
            <p class="muted">{t("review.notOrderedIntro")}</p>
            <ul class="plain">
              {items.map((n, i) => (
                <li key={`${n.commentId}-${i}`} class="not-ordered-item">
                  <span class="buyer-name">{n.buyer.name ?? n.buyer.id}</span>
                  <span class="quote">「{n.text}」</span>
                  <Badge tone={n.reason === "waitlisted" ? "amber" : "grey"}>
                    {n.reason === "waitlisted" && n.place !== undefined
                      ? t("review.reason.waitlistedAt", { place: n.place })
                      : tr(t, `review.reason.${n.reason}`, n.reason)}
                  </Badge>
                  {n.sku === undefined ? null : (
                    <span class="small">
                      <span class="mono">{n.sku}</span>
                      {n.qty === undefined ? "" : ` × ${n.qty}`}
                    </span>
                  )}
                </li>
              ))}
            </ul>
          </details>
        )}
      </Show>
    </>
  )
}

const resolvedKey: Record<Resolve["action"], Key> = {
  order: "review.resolvedOrder",
  amend: "review.resolvedAmend",
  cancel: "review.resolvedCancel",
  dismiss: "review.resolvedDismiss"
}

interface EditLine {
  readonly sku: string
  readonly qty: number
}

const ReviewCard = (props: {
  readonly item: ReviewItem
  readonly skus: ReadonlyArray<string>
  readonly roundPath: string
  readonly onResolved: (action: Resolve["action"]) => void
}) => {
  const { t, api, lang } = useApp()
  const item = props.item
  const act = useAction()
  const [editing, setEditing] = useState(false)
  const [action, setAction] = useState<"order" | "amend">("order")
  const [lines, setLines] = useState<ReadonlyArray<EditLine>>(() =>
    item.lines.length === 0
      ? [{ sku: props.skus[0] ?? "", qty: 1 }]
      : item.lines.map((l) => ({ sku: l.sku ?? "", qty: Math.max(0, l.qty) }))
  )
  const suggestion = item.lines.filter((l) => l.sku !== null && l.qty > 0) as ReadonlyArray<{
    sku: string
    qty: number
  }>
  const canAccept = suggestion.length > 0 && suggestion.length === item.lines.length

  const resolve = async (body: Resolve) => {
    const r = await act.run(() => api.post<Resolved>(`${props.roundPath}/review/${seg(item.commentId)}`, body))
    if (r !== undefined) props.onResolved(body.action)
  }

  const skuOptions = [...new Set([...props.skus, ...lines.map((l) => l.sku).filter((s) => s !== "")])]
  const editedLines = lines.filter((l) => l.sku !== "" && (action === "amend" ? l.qty >= 0 : l.qty > 0))

  return (
    <li class="card review-card" data-comment-id={item.commentId}>
      <div class="card-head">
        <span class="buyer-name">{item.buyer.name ?? item.buyer.id}</span>
        <span class="muted small">{dateTime(lang, item.at)}</span>
      </div>
      <blockquote class="comment">{item.text}</blockquote>
      <dl class="facts">
        <dt>{t("review.reason")}</dt>
        <dd class="reason">{item.reason}</dd>
        <dt>{t("review.suggested")}</dt>
        <dd>
          {item.lines.length === 0
            ? t("review.noSuggestion")
            : item.lines.map((l, i) => (
                <span key={`${l.sku}-${i}`} class="line">
                  {l.sku === null ? t("review.unknownSku") : <span class="mono">{l.sku}</span>} × {l.qty}
                </span>
              ))}
        </dd>
      </dl>
      <Result result={act.result} />
      {editing ? (
        <form
          class="subform"
          onSubmit={(e) => {
            e.preventDefault()
            resolve({ action, lines: editedLines })
          }}
        >
          <Field label={t("review.action")}>
            <select name="action" value={action} onChange={(e) => setAction(valueOf(e) as "order" | "amend")}>
              <option value="order">{t("review.actionOrder")}</option>
              <option value="amend">{t("review.actionAmend")}</option>
            </select>
          </Field>
          {lines.map((l, i) => (
            <div class="edit-line" key={i}>
              <Field label={t("common.sku")} class="grow">
                <select
                  name={`sku-${i}`}
                  value={l.sku}
                  onChange={(e) => setLines(lines.map((x, j) => (j === i ? { ...x, sku: valueOf(e) } : x)))}
                >
                  {l.sku === "" ? <option value="">{t("review.unknownSku")}</option> : null}
                  {skuOptions.map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label={t("common.qty")} class="qty">
                <input
                  type="number"
                  inputMode="numeric"
                  min={0}
                  name={`qty-${i}`}
                  value={l.qty}
                  onInput={(e) => setLines(lines.map((x, j) => (j === i ? { ...x, qty: Number(valueOf(e)) } : x)))}
                />
              </Field>
              <button
                type="button"
                class="ghost icon"
                aria-label={t("review.removeLine")}
                onClick={() => setLines(lines.filter((_, j) => j !== i))}
              >
                ×
              </button>
            </div>
          ))}
          <div class="actions">
            <button
              type="button"
              class="secondary"
              onClick={() => setLines([...lines, { sku: props.skus[0] ?? "", qty: 1 }])}
            >
              {t("review.addLine")}
            </button>
            <button type="button" class="ghost" onClick={() => setEditing(false)}>
              {t("common.cancel")}
            </button>
            <button type="submit" class="primary" disabled={act.busy || editedLines.length === 0}>
              {t("review.accept")}
            </button>
          </div>
        </form>
      ) : (
        <div class="actions">
          {canAccept ? (
            <button
              type="button"
              class="primary"
              disabled={act.busy}
              onClick={() => resolve({ action: "order", lines: suggestion })}
            >
              {t("review.accept")}
            </button>
          ) : null}
          <button
            type="button"
            class={canAccept ? "secondary" : "primary"}
            disabled={act.busy}
            onClick={() => setEditing(true)}
          >
            {t("review.edit")}
          </button>
          <button type="button" class="secondary" disabled={act.busy} onClick={() => resolve({ action: "cancel" })}>
            {t("review.cancelOrder")}
          </button>
          <button type="button" class="ghost" disabled={act.busy} onClick={() => resolve({ action: "dismiss" })}>
            {t("review.dismiss")}
          </button>
        </div>
      )}
    </li>
  )
}
