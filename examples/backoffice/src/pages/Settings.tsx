/**
 * A round's settings (團務設定), organiser only: taking orders (pause, resume, close, reopen with a
 * new cutoff), publishing the announcement, the title and the cutoff, each item's stock (add units
 * or set a total) and its price for new orders, a new product for an open round, and the round's
 * history, newest first.
 *
 * The items' names and current prices come from the history (`roundItems.ts`): the API has no
 * catalogue route of its own.
 */
import { useState } from "preact/hooks"
import type { Closed, HistoryEntry, Published, Report, Restock, Round, RoundChange, Waitlist } from "../api.js"
import { seg } from "../api.js"
import { dateTime, fromTaipeiInput, money, number, toTaipeiInput } from "../format.js"
import type { Key } from "../i18n.js"
import { catalogueOf, describeEvent, type Item } from "../roundItems.js"
import {
  Badge,
  Field,
  type InputEvent,
  type Loaded,
  Result,
  Show,
  useAction,
  useApp,
  useConfirm,
  useLoad,
  valueOf
} from "../ui.js"
import { RoundHeader, useRound } from "./RoundNav.js"

/** An id for a change, so that a retried request (a double tap, a flaky network) changes nothing twice. */
const requestId = (): string => `bo-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`

const editable = (round: Round) => round.status === "open" || round.status === "paused"

export const RoundSettings = (props: { readonly roundId: string }) => {
  const { t, api, can } = useApp()
  const path = `/rounds/${seg(props.roundId)}`
  const [round, reloadRound, setRound] = useRound(props.roundId)
  const organiser = can("rounds.update")
  const [report, reloadReport, updateReport] = useLoad(() => api.get<Report>(`${path}/report`), [props.roundId])
  const [history, reloadHistory] = useLoad(
    () => (organiser ? api.get<ReadonlyArray<HistoryEntry>>(`${path}/history`) : Promise.resolve([])),
    [props.roundId, organiser]
  )
  const header = (
    <RoundHeader roundId={props.roundId} current="settings" round={round.state === "done" ? round.value : undefined} />
  )
  if (!organiser)
    return (
      <>
        {header}
        <p class="notice warn" role="alert">
          {t("manage.organiserOnly")}
        </p>
      </>
    )

  const items = history.state === "done" ? catalogueOf(history.value) : undefined
  const [waitlist, reloadWaitlist] = useLoad(() => api.get<Waitlist>(`${path}/waitlist`), [props.roundId])

  /** After a change: the round the API answered, and the history again. */
  const changed = (r: Round) => {
    setRound(() => r)
    reloadHistory()
  }

  return (
    <>
      {header}
      <Show loaded={round} reload={reloadRound}>
        {(r) => (
          <div class="settings">
            <StatePanel round={r} path={path} onChanged={changed} onReport={reloadReport} />
            {editable(r) ? <DetailsPanel round={r} path={path} onChanged={changed} /> : null}
            <section class="panel wide" aria-labelledby="stock-prices">
              <h2 id="stock-prices">{t("manage.stock")}</h2>
              <p class="muted small">{editable(r) ? t("manage.stockIntro") : t("manage.noStockEdit")}</p>
              <Show loaded={report} reload={reloadReport}>
                {(rep) => (
                  <ul class="stock-items">
                    {rep.stock.map((s) => (
                      <StockItem
                        key={s.sku}
                        sku={s.sku}
                        sold={s.sold}
                        left={s.left}
                        item={items?.get(s.sku)}
                        canEdit={editable(r)}
                        path={path}
                        onRestocked={(round, left) => {
                          updateReport((x) => ({
                            ...x,
                            stock: x.stock.map((y) => (y.sku === s.sku ? { ...y, left } : y))
                          }))
                          changed(round)
                          // The report is shared by its readers and up to 1 s stale: read it again after that.
                          setTimeout(reloadReport, 1100)
                        }}
                        onPriced={changed}
                        onArrived={changed}
                      />
                    ))}
                  </ul>
                )}
              </Show>
            </section>
            {editable(r) ? (
              <AddProductPanel
                path={path}
                taken={new Set(report.state === "done" ? report.value.stock.map((x) => x.sku) : [])}
                onAdded={(round) => {
                  changed(round)
                  // The report (the stock list) is shared by its readers and up to 1 s stale.
                  setTimeout(reloadReport, 1100)
                }}
              />
            ) : null}
            {waitlist.state === "done" && waitlist.value.items.length > 0 ? (
              <WaitlistPanel waitlist={waitlist} reload={reloadWaitlist} items={items} />
            ) : null}
            <HistoryPanel history={history} reload={reloadHistory} />
          </div>
        )}
      </Show>
    </>
  )
}

const StatePanel = (props: {
  readonly round: Round
  readonly path: string
  readonly onChanged: (r: Round) => void
  readonly onReport: () => void
}) => {
  const { t, api, can, lang } = useApp()
  const { round: r, path } = props
  const action = useAction()
  const publish = useAction()
  const [published, setPublished] = useState<Published>()
  const [reopenAt, setReopenAt] = useState("")
  const { ask, dialog } = useConfirm()

  const pause = async (paused: boolean) => {
    const next = await action.run(
      () => api.patch<Round>(path, { paused } satisfies RoundChange),
      () => t(paused ? "manage.pausedDone" : "manage.resumedDone")
    )
    if (next !== undefined) props.onChanged(next)
  }
  const close = async () => {
    if (!(await ask(t("rounds.closeConfirm", { title: r.title })))) return
    const closed = await action.run(
      () => api.post<Closed>(`${path}/close`),
      (c) => t("manage.closeDone", { n: c.confirmed })
    )
    if (closed !== undefined) {
      props.onChanged(closed.round)
      props.onReport()
    }
  }
  const reopen = async (e: Event) => {
    e.preventDefault()
    if (!(await ask(t("manage.reopenConfirm", { title: r.title })))) return
    const next = await action.run(
      () =>
        api.post<Round>(`${path}/reopen`, {
          cutoff: reopenAt === "" ? null : fromTaipeiInput(reopenAt),
          requestId: requestId()
        }),
      () => t("manage.reopened")
    )
    if (next !== undefined) props.onChanged(next)
  }
  const doPublish = async () => {
    setPublished(undefined)
    const p = await publish.run(() => api.post<Published>(`${path}/publish`))
    if (p !== undefined) setPublished(p)
  }

  const note: Key =
    r.status === "open"
      ? "manage.openNote"
      : r.status === "paused"
        ? "manage.pausedNote"
        : r.status === "closed"
          ? "manage.closedNote"
          : r.status === "settled"
            ? "manage.settledNote"
            : "manage.draftNote"
  return (
    <section class="panel" aria-labelledby="round-state">
      <h2 id="round-state">{t("manage.state")}</h2>
      <p class={r.status === "paused" ? "notice warn" : "muted"} data-state={r.status}>
        {t(note)}
      </p>
      <p class="muted small">
        {r.cutoff === undefined ? t("rounds.noCutoff") : t("rounds.cutoff", { at: dateTime(lang, r.cutoff) })}
      </p>
      <div class="actions">
        {r.status === "open" ? (
          <button type="button" class="secondary" disabled={action.busy} onClick={() => pause(true)}>
            {t("manage.pause")}
          </button>
        ) : null}
        {r.status === "paused" ? (
          <button type="button" class="primary" disabled={action.busy} onClick={() => pause(false)}>
            {t("manage.resume")}
          </button>
        ) : null}
        {editable(r) && can("rounds.close") ? (
          <button type="button" class="danger" disabled={action.busy} onClick={close}>
            {t("rounds.close")}
          </button>
        ) : null}
      </div>
      {r.status === "closed" && can("rounds.reopen") ? (
        <form class="inline-form" onSubmit={reopen}>
          <Field label={t("manage.reopenCutoff")} hint={t("manage.reopenHint")} class="grow">
            <input
              type="datetime-local"
              name="reopenCutoff"
              value={reopenAt}
              min={toTaipeiInput(new Date().toISOString())}
              onInput={(e) => setReopenAt(valueOf(e))}
            />
          </Field>
          <button type="submit" class="primary" disabled={action.busy}>
            {t("manage.reopen")}
          </button>
        </form>
      ) : null}
      <Result result={action.result} />
      {r.status === "open" && can("publish.publish") ? (
        <div class="publish">
          <h3>{t("manage.publish")}</h3>
          <p class="muted small">{t("manage.publishIntro")}</p>
          <button type="button" class="secondary" disabled={publish.busy} onClick={doPublish}>
            {publish.busy ? t("common.loading") : t("manage.publish")}
          </button>
          <Result result={publish.result} />
          {published === undefined ? null : <PublishedView published={published} />}
        </div>
      ) : null}
      {dialog}
    </section>
  )
}

const PublishedView = (props: { readonly published: Published }) => {
  const { t } = useApp()
  const p = props.published
  const tone = p.status === "queued" ? "green" : p.status === "skipped" ? "amber" : "grey"
  return (
    <div class="published" data-status={p.status}>
      <p>
        <span class="label">{t("manage.publishStatus")}</span> <Badge tone={tone}>{t(`publish.${p.status}`)}</Badge>
      </p>
      <p role="status">{t(`manage.published.${p.status}`, { n: p.messages.length })}</p>
      {p.messages.length === 0 ? null : (
        <ul class="plain small">
          {p.messages.map((m) => (
            <li key={m.messageId} class="mono">
              {t("manage.publishTo", { channel: m.channel, conversation: m.conversation })}
            </li>
          ))}
        </ul>
      )}
      <h4>{t("manage.publishText")}</h4>
      <pre class="announcement">{p.text}</pre>
    </div>
  )
}

const DetailsPanel = (props: {
  readonly round: Round
  readonly path: string
  readonly onChanged: (r: Round) => void
}) => {
  const { t, api } = useApp()
  const { round: r } = props
  const [title, setTitle] = useState(r.title)
  const [cutoff, setCutoff] = useState(toTaipeiInput(r.cutoff))
  const save = useAction()
  const [unchanged, setUnchanged] = useState(false)

  const submit = async (e: Event) => {
    e.preventDefault()
    const change: { title?: string; cutoff?: string | null } = {}
    if (title.trim() !== "" && title.trim() !== r.title) change.title = title.trim()
    if (cutoff !== toTaipeiInput(r.cutoff)) change.cutoff = cutoff === "" ? null : fromTaipeiInput(cutoff)
    if (Object.keys(change).length === 0) {
      setUnchanged(true)
      return
    }
    setUnchanged(false)
    const next = await save.run(
      () => api.patch<Round>(props.path, change satisfies RoundChange),
      () => t("manage.saved")
    )
    if (next !== undefined) {
      setTitle(next.title)
      setCutoff(toTaipeiInput(next.cutoff))
      props.onChanged(next)
    }
  }

  return (
    <section class="panel" aria-labelledby="round-details">
      <h2 id="round-details">{t("manage.details")}</h2>
      <form class="stack" onSubmit={submit}>
        <Field label={t("manage.titleLabel")}>
          <input name="title" value={title} maxLength={200} required onInput={(e) => setTitle(valueOf(e))} />
        </Field>
        <Field label={t("manage.cutoffLabel")} hint={t("manage.cutoffHint")}>
          <input
            type="datetime-local"
            name="cutoff"
            value={cutoff}
            min={toTaipeiInput(new Date().toISOString())}
            onInput={(e) => setCutoff(valueOf(e))}
          />
        </Field>
        {unchanged ? (
          <p class="muted" role="status">
            {t("manage.unchanged")}
          </p>
        ) : null}
        <Result result={save.result} />
        <button type="submit" class="primary" disabled={save.busy}>
          {t("common.save")}
        </button>
      </form>
    </section>
  )
}

const StockItem = (props: {
  readonly sku: string
  readonly sold: number
  readonly left: number | null
  readonly item: Item | undefined
  readonly canEdit: boolean
  readonly path: string
  readonly onRestocked: (r: Round, left: number) => void
  readonly onPriced: (r: Round) => void
  readonly onArrived: (r: Round) => void
}) => {
  const { t, api, lang } = useApp()
  const arriving = useAction()
  const { ask, dialog } = useConfirm()
  const name = props.item?.name ?? props.sku
  const [mode, setMode] = useState<"add" | "stock">("add")
  const [qty, setQty] = useState("")
  const [price, setPrice] = useState("")
  const restock = useAction()
  const pricing = useAction()
  const n = Number(qty)
  const qtyOk = qty !== "" && Number.isInteger(n) && (mode === "add" ? n > 0 : n >= 0)
  const p = Number(price)
  const priceOk = price !== "" && Number.isInteger(p) && p >= 0

  const submitRestock = async (e: Event) => {
    e.preventDefault()
    if (!qtyOk) return
    const line = mode === "add" ? { sku: props.sku, add: n } : { sku: props.sku, stock: n }
    const left = mode === "add" ? (props.left ?? 0) + n : n - props.sold
    const r = await restock.run(
      () => api.post<Round>(`${props.path}/restock`, { lines: [line], requestId: requestId() } satisfies Restock),
      () => t("manage.restocked", { name, left: number(lang, left) })
    )
    if (r !== undefined) {
      setQty("")
      props.onRestocked(r, left)
    }
  }
  const markArrived = async () => {
    if (!(await ask(t("manage.markArrivedConfirm", { name })))) return
    const r = await arriving.run(
      () => api.post<Round>(`${props.path}/arrived`, { skus: [props.sku], requestId: requestId() }),
      () => t("manage.arrivedDone", { name })
    )
    if (r !== undefined) props.onArrived(r)
  }
  const submitPrice = async (e: Event) => {
    e.preventDefault()
    if (!priceOk) return
    const r = await pricing.run(
      () => api.patch<Round>(props.path, { prices: [{ sku: props.sku, price: p }] } satisfies RoundChange),
      () => t("manage.priced", { name, price: number(lang, p) })
    )
    if (r !== undefined) {
      setPrice("")
      props.onPriced(r)
    }
  }

  return (
    <li class="card stock-item" data-sku={props.sku}>
      <div class="card-head">
        <span class="card-title">{name}</span>
        <span class="mono small muted">{props.sku}</span>
      </div>
      <p class="figures">
        <span data-left={props.left ?? "unlimited"}>
          {t("manage.soldLeft", {
            sold: number(lang, props.sold),
            left: props.left === null ? t("common.unlimited") : number(lang, props.left)
          })}
        </span>
        {props.item === undefined ? null : <strong>{money(lang, props.item.price)}</strong>}
        {props.item?.preorder === true ? (
          <Badge tone={props.item.arrived ? "green" : "amber"}>
            {props.item.arrived ? t("manage.arrived") : t("manage.preorder")}
          </Badge>
        ) : null}
      </p>
      {props.item?.preorder === true && !props.item.arrived ? (
        <div class="actions">
          <button type="button" class="secondary" disabled={arriving.busy} onClick={markArrived}>
            {t("manage.markArrived")}
          </button>
        </div>
      ) : null}
      {/* Outside the button's block: the confirmation stays once the item shows as arrived. */}
      <Result result={arriving.result} />
      {dialog}
      {props.canEdit ? (
        <>
          <form class="inline-form" onSubmit={submitRestock} aria-label={`${t("manage.restock")} ${name}`}>
            <Field label={t("manage.restockMode")}>
              <select name="mode" value={mode} onChange={(e) => setMode(valueOf(e) === "stock" ? "stock" : "add")}>
                <option value="add">{t("manage.add")}</option>
                <option value="stock">{t("manage.set")}</option>
              </select>
            </Field>
            <Field label={t("manage.restockQty")} {...(mode === "stock" ? { hint: t("manage.totalHint") } : {})}>
              <input
                type="number"
                name="qty"
                inputMode="numeric"
                min={mode === "add" ? 1 : 0}
                step={1}
                value={qty}
                onInput={(e) => setQty(valueOf(e))}
              />
            </Field>
            <button type="submit" class="primary" disabled={restock.busy || !qtyOk}>
              {t("manage.restock")}
            </button>
          </form>
          <Result result={restock.result} />
          <form class="inline-form" onSubmit={submitPrice} aria-label={`${t("manage.setPrice")} ${name}`}>
            <Field label={t("manage.price")}>
              <input
                type="number"
                name="price"
                inputMode="numeric"
                min={0}
                step={1}
                value={price}
                placeholder={props.item === undefined ? "" : String(props.item.price)}
                onInput={(e) => setPrice(valueOf(e))}
              />
            </Field>
            <button type="submit" class="secondary" disabled={pricing.busy || !priceOk}>
              {t("manage.setPrice")}
            </button>
          </form>
          <Result result={pricing.result} />
        </>
      ) : null}
    </li>
  )
}

/** How a new product is supplied: a stock count, a pre-order (with an optional cap) or unlimited. */
type Supply = "stock" | "preorder" | "unlimited"

/** Optional whole numbers: "" is absent; anything else must be an integer of at least `min`. */
const wholeOrEmpty = (text: string, min: number): number | undefined | "bad" => {
  if (text.trim() === "") return undefined
  const n = Number(text)
  return Number.isInteger(n) && n >= min ? n : "bad"
}

/**
 * Adds a product to an open or paused round (`PATCH /rounds/:id` with `addProducts`): the parser
 * knows its name and aliases from the next comment on. The fields are those of a round file's
 * product; what the round refuses (a SKU it has already…) is shown as the API explains it.
 */
const AddProductPanel = (props: {
  readonly path: string
  readonly taken: ReadonlySet<string>
  readonly onAdded: (r: Round) => void
}) => {
  const { t, api } = useApp()
  const empty = {
    name: "",
    sku: "",
    price: "",
    supply: "stock" as Supply,
    qty: "",
    aliases: "",
    limit: "",
    minimum: "",
    cost: ""
  }
  const [form, setForm] = useState(empty)
  const add = useAction()
  const set = (key: keyof typeof empty) => (e: InputEvent) => {
    // Read now: the event's target is gone by the time the state updates.
    const value = valueOf(e)
    setForm((f) => ({ ...f, [key]: value }))
  }

  const price = wholeOrEmpty(form.price, 0)
  const qty = wholeOrEmpty(form.qty, 0)
  const limit = wholeOrEmpty(form.limit, 1)
  const minimum = wholeOrEmpty(form.minimum, 1)
  const cost = wholeOrEmpty(form.cost, 0)
  const sku = form.sku.trim()
  const skuTaken = props.taken.has(sku)
  const ok =
    form.name.trim() !== "" &&
    sku !== "" &&
    !skuTaken &&
    typeof price === "number" &&
    (form.supply === "stock" ? typeof qty === "number" : qty !== "bad") &&
    limit !== "bad" &&
    minimum !== "bad" &&
    cost !== "bad"

  const submit = async (e: Event) => {
    e.preventDefault()
    if (!ok || typeof price !== "number") return
    const aliases = form.aliases
      .split(/[,，、\s]+/)
      .map((a) => a.trim())
      .filter((a) => a !== "")
    const product = {
      sku,
      name: form.name.trim(),
      price,
      ...(aliases.length > 0 ? { aliases } : {}),
      ...(form.supply === "stock" && typeof qty === "number" ? { stock: qty } : {}),
      ...(form.supply === "preorder" ? { preorder: true, ...(typeof qty === "number" ? { cap: qty } : {}) } : {}),
      ...(typeof limit === "number" ? { limitPerBuyer: limit } : {}),
      ...(typeof minimum === "number" ? { minimum } : {}),
      ...(typeof cost === "number" ? { cost } : {})
    }
    const r = await add.run(
      () => api.patch<Round>(props.path, { addProducts: [product] } as RoundChange),
      () => t("manage.productAdded", { name: product.name })
    )
    if (r !== undefined) {
      setForm(empty)
      props.onAdded(r)
    }
  }

  return (
    <section class="panel wide" aria-labelledby="add-product">
      <h2 id="add-product">{t("manage.addProduct")}</h2>
      <p class="muted small">{t("manage.addProductIntro")}</p>
      <form class="inline-form add-product" onSubmit={submit}>
        <Field label={t("manage.productName")}>
          <input name="productName" value={form.name} maxLength={100} required onInput={set("name")} />
        </Field>
        <Field label={t("manage.productSku")} {...(skuTaken ? { hint: t("manage.skuTaken") } : {})}>
          <input name="productSku" value={form.sku} maxLength={40} required onInput={set("sku")} />
        </Field>
        <Field label={t("manage.productPrice")}>
          <input
            type="number"
            name="productPrice"
            inputMode="numeric"
            min={0}
            step={1}
            value={form.price}
            required
            onInput={set("price")}
          />
        </Field>
        <Field label={t("manage.supply")}>
          <select name="supply" value={form.supply} onChange={set("supply")}>
            <option value="stock">{t("manage.supply.stock")}</option>
            <option value="preorder">{t("manage.supply.preorder")}</option>
            <option value="unlimited">{t("manage.supply.unlimited")}</option>
          </select>
        </Field>
        {form.supply === "unlimited" ? null : (
          <Field
            label={t(form.supply === "stock" ? "manage.supplyQty" : "manage.supplyCap")}
            {...(form.supply === "preorder" ? { hint: t("manage.capHint") } : {})}
          >
            <input
              type="number"
              name="supplyQty"
              inputMode="numeric"
              min={0}
              step={1}
              value={form.qty}
              required={form.supply === "stock"}
              onInput={set("qty")}
            />
          </Field>
        )}
        <Field label={t("manage.aliases")} hint={t("manage.aliasesHint")}>
          <input name="aliases" value={form.aliases} onInput={set("aliases")} />
        </Field>
        <Field label={t("manage.limitPerBuyer")}>
          <input
            type="number"
            name="limitPerBuyer"
            inputMode="numeric"
            min={1}
            step={1}
            value={form.limit}
            onInput={set("limit")}
          />
        </Field>
        <Field label={t("manage.minimum")}>
          <input
            type="number"
            name="minimum"
            inputMode="numeric"
            min={1}
            step={1}
            value={form.minimum}
            onInput={set("minimum")}
          />
        </Field>
        <Field label={t("manage.cost")}>
          <input
            type="number"
            name="cost"
            inputMode="numeric"
            min={0}
            step={1}
            value={form.cost}
            onInput={set("cost")}
          />
        </Field>
        <button type="submit" class="primary" disabled={add.busy || !ok}>
          {t("manage.addProduct")}
        </button>
      </form>
      <Result result={add.result} />
    </section>
  )
}

/** Every SKU's waiting list (候補), in order: who waits, for how many, since when. */
const WaitlistPanel = (props: {
  readonly waitlist: Loaded<Waitlist>
  readonly reload: () => void
  readonly items: ReadonlyMap<string, Item> | undefined
}) => {
  const { t, lang } = useApp()
  return (
    <section class="panel wide" aria-labelledby="round-waitlist">
      <h2 id="round-waitlist">{t("manage.waitlist")}</h2>
      <p class="muted small">{t("manage.waitlistIntro")}</p>
      <Show loaded={props.waitlist} reload={props.reload}>
        {(w) => {
          if (w.items.length === 0) return <p class="empty">{t("manage.waitlistEmpty")}</p>
          const bySku = new Map<string, Array<Waitlist["items"][number]>>()
          for (const x of w.items) bySku.set(x.sku, [...(bySku.get(x.sku) ?? []), x])
          return (
            <div class="waitlists">
              {[...bySku].map(([sku, entries]) => (
                <div key={sku} class="waitlist" data-sku={sku}>
                  <h3>{props.items?.get(sku)?.name ?? sku}</h3>
                  <ol class="plain">
                    {entries.map((x) => (
                      <li key={`${x.sku}-${x.buyerId}`} class="waitlist-entry">
                        <Badge tone="amber">{t("manage.waitlistPlace", { n: number(lang, x.position) })}</Badge>{" "}
                        <span class="buyer-name">{x.buyer.name ?? x.buyer.id}</span>{" "}
                        <span class="small">{t("manage.waitlistQty", { qty: number(lang, x.qty) })}</span>{" "}
                        <time dateTime={x.since} class="muted small">
                          {dateTime(lang, x.since)}
                        </time>
                      </li>
                    ))}
                  </ol>
                </div>
              ))}
            </div>
          )
        }}
      </Show>
    </section>
  )
}

const HistoryPanel = (props: {
  readonly history: Loaded<ReadonlyArray<HistoryEntry>>
  readonly reload: () => void
}) => {
  const { t, lang } = useApp()
  return (
    <section class="panel wide" aria-labelledby="round-history">
      <h2 id="round-history">{t("manage.history")}</h2>
      <p class="muted small">{t("manage.historyIntro")}</p>
      <Show loaded={props.history} reload={props.reload}>
        {(h) => {
          if (h.length === 0) return <p class="empty">{t("manage.historyEmpty")}</p>
          const items = catalogueOf(h)
          const newestFirst = [...h].sort((a, b) => b.version - a.version)
          return (
            <ol class="history">
              {newestFirst.map((x) => (
                <li key={x.version} class="history-entry" data-event={x.event._tag}>
                  <time dateTime={x.at} class="muted small">
                    {dateTime(lang, x.at)}
                  </time>
                  <span>{describeEvent(t, lang, x.event, items)}</span>
                </li>
              ))}
            </ol>
          )
        }}
      </Show>
    </section>
  )
}
