/** Rounds: the list (by status, in pages), closing a round, and a new round from a round file. */
import { useState } from "preact/hooks"
import type { Closed, Round, RoundsPage } from "../api.js"
import { seg } from "../api.js"
import { dateTime, money } from "../format.js"
import type { Key } from "../i18n.js"
import { navigate } from "../router.js"
import {
  Badge,
  ErrorBox,
  Field,
  Link,
  Loading,
  PageTitle,
  Result,
  toneOf,
  useAction,
  useApp,
  useConfirm,
  useLoad,
  valueOf
} from "../ui.js"

const filters = ["", "open", "paused", "closed", "settled"] as const

export const Rounds = () => {
  const { t, api, can, lang } = useApp()
  const [status, setStatus] = useState<(typeof filters)[number]>("")
  const [extra, setExtra] = useState<{ items: ReadonlyArray<Round>; nextCursor: string | null }>()
  const [loaded, reload, update] = useLoad(() => {
    setExtra(undefined)
    return api.get<RoundsPage>("/rounds", { status: status === "" ? undefined : status })
  }, [status])
  const more = useAction()
  const close = useAction()
  const { ask, dialog } = useConfirm()

  const items = loaded.state === "done" ? [...loaded.value.items, ...(extra?.items ?? [])] : []
  const next = extra !== undefined ? extra.nextCursor : loaded.state === "done" ? loaded.value.nextCursor : null

  const loadMore = async () => {
    if (next === null) return
    const page = await more.run(() => api.get<RoundsPage>("/rounds", { status: status || undefined, cursor: next }))
    if (page !== undefined) setExtra({ items: [...(extra?.items ?? []), ...page.items], nextCursor: page.nextCursor })
  }

  const closeRound = async (round: Round) => {
    if (!(await ask(t("rounds.closeConfirm", { title: round.title })))) return
    const closed = await close.run(
      () => api.post<Closed>(`/rounds/${seg(round.roundId)}/close`),
      (c) => t("rounds.closed", { n: c.confirmed })
    )
    if (closed !== undefined) {
      const replace = (r: Round) => (r.roundId === closed.round.roundId ? closed.round : r)
      update((page) => ({ ...page, items: page.items.map(replace) }))
      setExtra((e) => (e === undefined ? e : { ...e, items: e.items.map(replace) }))
    }
  }

  return (
    <>
      <PageTitle>{t("rounds.title")}</PageTitle>
      <fieldset class="chips">
        <legend class="sr-only">{t("orders.status")}</legend>
        {filters.map((f) => (
          <button key={f} type="button" class="chip" aria-pressed={status === f} onClick={() => setStatus(f)}>
            {f === "" ? t("rounds.all") : t(`rounds.status.${f}` as Key)}
          </button>
        ))}
      </fieldset>
      <Result result={close.result} />
      {loaded.state === "loading" ? (
        <Loading />
      ) : loaded.state === "failed" ? (
        <ErrorBox error={loaded.error} onRetry={reload} />
      ) : items.length === 0 ? (
        <p class="empty">{t("rounds.empty")}</p>
      ) : (
        <ul class="cards rounds">
          {items.map((r) => (
            <li key={r.roundId} class="card round-card">
              <div class="card-head">
                <Link to={`rounds/${seg(r.roundId)}`} class="card-title">
                  {r.title}
                </Link>
                <Badge tone={toneOf(r.status)}>{t(`rounds.status.${r.status}` as Key)}</Badge>
              </div>
              <p class="muted small">
                <span class="mono">{r.roundId}</span> ·{" "}
                {r.cutoff === undefined ? t("rounds.noCutoff") : t("rounds.cutoff", { at: dateTime(lang, r.cutoff) })}
              </p>
              {r.status === "open" || r.status === "paused" ? null : (
                <p class="figures">
                  <span>{t("rounds.orders", { n: r.orders })}</span>
                  <span>
                    {t("rounds.total")} <strong>{money(lang, r.total)}</strong>
                  </span>
                </p>
              )}
              <div class="actions">
                <button type="button" class="secondary" onClick={() => navigate(`rounds/${seg(r.roundId)}`)}>
                  {t("rounds.open")}
                </button>
                {can("rounds.update") ? (
                  <button type="button" class="secondary" onClick={() => navigate(`rounds/${seg(r.roundId)}/settings`)}>
                    {t("tabs.settings")}
                  </button>
                ) : null}
                {(r.status === "open" || r.status === "paused") && can("rounds.close") ? (
                  <button type="button" class="danger" disabled={close.busy} onClick={() => closeRound(r)}>
                    {t("rounds.close")}
                  </button>
                ) : null}
              </div>
            </li>
          ))}
        </ul>
      )}
      {next === null ? null : (
        <button type="button" class="secondary more" disabled={more.busy} onClick={loadMore}>
          {more.busy ? t("common.loading") : t("common.more")}
        </button>
      )}
      <Result result={more.result} />
      {can("rounds.create") ? <CreateRound onCreated={reload} /> : null}
      {dialog}
    </>
  )
}

const CreateRound = (props: { readonly onCreated: () => void }) => {
  const { t, api } = useApp()
  const [text, setText] = useState("")
  const create = useAction()
  const [parseError, setParseError] = useState<string>()

  const [fileName, setFileName] = useState<string>()
  const pick = async (e: Event) => {
    const file = (e.currentTarget as HTMLInputElement).files?.[0]
    if (file !== undefined) {
      setFileName(file.name)
      setText(await file.text())
    }
  }

  const submit = async (e: Event) => {
    e.preventDefault()
    let body: unknown
    try {
      body = JSON.parse(text)
      setParseError(undefined)
    } catch (err) {
      setParseError(t("rounds.badJson", { message: err instanceof Error ? err.message : String(err) }))
      return
    }
    const round = await create.run(
      () => api.post<Round>("/rounds", body),
      (r) => t("rounds.created", { title: r.title })
    )
    if (round !== undefined) {
      setText("")
      props.onCreated()
    }
  }

  return (
    <section class="panel" aria-labelledby="create-round">
      <h2 id="create-round">{t("rounds.create")}</h2>
      <p class="muted">{t("rounds.createIntro")}</p>
      <form class="stack" onSubmit={submit}>
        <div class="field">
          <span class="label" id="round-file-label">
            {t("rounds.file")}
          </span>
          <label class="file-pick">
            <span class="button secondary" aria-hidden="true">
              {t("file.choose")}
            </span>
            <span class="muted small">{fileName ?? t("file.none")}</span>
            <input
              type="file"
              name="roundFile"
              class="file-overlay"
              accept=".json,application/json"
              aria-labelledby="round-file-label"
              onChange={pick}
            />
          </label>
        </div>
        <Field label={t("rounds.paste")}>
          <textarea
            name="roundJson"
            rows={6}
            value={text}
            onInput={(e) => setText(valueOf(e))}
            spellcheck={false}
            class="mono"
          />
        </Field>
        {parseError === undefined ? null : (
          <p class="notice error" role="alert">
            {parseError}
          </p>
        )}
        <Result result={create.result} />
        <button type="submit" class="primary" disabled={create.busy || text.trim() === ""}>
          {t("rounds.submitCreate")}
        </button>
      </form>
    </section>
  )
}
