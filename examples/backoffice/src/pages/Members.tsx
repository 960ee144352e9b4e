/**
 * 會員 (organiser only: personal data): every member, one person across channels and rounds,
 * with tier, tags, spend and points; a segment builder (tags combined with 且 AND / 或 OR / 非
 * NOT) and a broadcast to the segment; one member's page with history, notes, household facts,
 * consent, tags, the blacklist and a link code for their other channel.
 */
import { useState } from "preact/hooks"
import type { Api as HttpApi } from "@kaituan/http"
import { ApiError, seg } from "../api.js"
import { dateTime, money, number } from "../format.js"
import type { Key } from "../i18n.js"
import { navigate } from "../router.js"
import { Badge, Field, Link, PageTitle, Result, Show, tr, useAction, useApp, useLoad, valueOf } from "../ui.js"

type MemberList = typeof HttpApi.MemberList.Type
type MemberRow = HttpApi.MemberRow
type MemberDetail = typeof HttpApi.MemberDetail.Type
type BroadcastReport = typeof HttpApi.BroadcastReport.Type

const channelOf = (id: string) => id.slice(0, id.indexOf(":"))

/** Tags as badges: tier and channels are shown on their own, the rest as tags. */
const TagBadges = (props: { readonly tags: ReadonlyArray<string> }) => (
  <span class="member-tags">
    {props.tags
      .filter((t) => !t.startsWith("tier:") && !t.startsWith("channel:"))
      .map((t) => (
        <Badge key={t} tone={t === "blocked" ? "red" : t === "沉睡" ? "grey" : t.startsWith("偏好") ? "teal" : "blue"}>
          {t === "blocked" ? "黑名單" : t}
        </Badge>
      ))}
  </span>
)

export const MembersPage = (props: { readonly query: URLSearchParams }) => {
  const { t, api, lang, can } = useApp()
  const segment = props.query.get("segment") ?? ""
  const [draft, setDraft] = useState(segment)
  const [loaded, reload] = useLoad(
    () => api.get<MemberList>("/members", segment === "" ? undefined : { segment }),
    [segment]
  )
  const send = useAction()
  const [text, setText] = useState("")
  if (!can("members.list"))
    return (
      <>
        <PageTitle>{t("members.title")}</PageTitle>
        <p class="notice warn">{t("common.noAccess")}</p>
      </>
    )
  const apply = (expr: string) =>
    navigate(expr.trim() === "" ? "members" : `members?segment=${encodeURIComponent(expr.trim())}`)
  const add = (piece: string) => setDraft((d) => (d.trim() === "" ? piece : `${d.trim()} ${piece}`))
  const segmentError =
    loaded.state === "failed" && loaded.error instanceof ApiError && loaded.error.status === 400
      ? (loaded.error.body as { field?: string; message?: string })
      : undefined
  const position = Number(segmentError?.field?.split("@")[1] ?? Number.NaN)
  return (
    <>
      <PageTitle sub={t("members.intro")}>{t("members.title")}</PageTitle>
      <section class="panel" aria-labelledby="segment-builder">
        <h2 id="segment-builder">{t("members.segment")}</h2>
        <form
          class="search"
          onSubmit={(e) => {
            e.preventDefault()
            apply(draft)
          }}
        >
          <Field label={t("members.expression")} hint={t("members.expressionHint")} class="grow">
            <input name="segment" value={draft} onInput={(e) => setDraft(valueOf(e))} autocomplete="off" />
          </Field>
          <button type="submit" class="primary">
            {t("members.apply")}
          </button>
          {segment === "" ? null : (
            <button
              type="button"
              class="secondary"
              onClick={() => {
                setDraft("")
                apply("")
              }}
            >
              {t("common.clear")}
            </button>
          )}
        </form>
        <fieldset class="chips">
          <legend class="sr-only">{t("members.operators")}</legend>
          <button type="button" class="chip" onClick={() => add("AND")}>
            {t("members.and")}
          </button>
          <button type="button" class="chip" onClick={() => add("OR")}>
            {t("members.or")}
          </button>
          <button type="button" class="chip" onClick={() => add("NOT")}>
            {t("members.not")}
          </button>
          <button type="button" class="chip" onClick={() => add("(")}>
            (
          </button>
          <button type="button" class="chip" onClick={() => add(")")}>
            )
          </button>
        </fieldset>
        {loaded.state === "done" ? (
          <fieldset class="chips">
            <legend class="sr-only">{t("members.tagsSeen")}</legend>
            {loaded.value.tags.map((x) => (
              <button key={x.tag} type="button" class="chip" onClick={() => add(x.tag)}>
                {x.tag} <span class="count">{number(lang, x.members)}</span>
              </button>
            ))}
          </fieldset>
        ) : null}
        {segmentError === undefined ? null : (
          <p class="notice error" role="alert">
            {t("members.badSegment", {
              message: tr(
                t,
                `members.segmentError.${(segmentError.message ?? "").split(":")[0]}`,
                segmentError.message ?? ""
              )
            })}
            {Number.isNaN(position) ? null : (
              <span class="segment-caret mono">
                {segment.slice(0, position)}
                <mark>{segment.slice(position) === "" ? "␣" : segment.slice(position)}</mark>
              </span>
            )}
          </p>
        )}
      </section>
      {segmentError !== undefined ? null : (
        <Show loaded={loaded} reload={reload}>
          {(list) => (
            <>
              <p class="muted">
                {segment === ""
                  ? t("members.count", { n: number(lang, list.total) })
                  : t("members.countIn", { n: number(lang, list.total), segment })}
              </p>
              {segment === "" || list.total === 0 ? null : (
                <section class="panel" aria-labelledby="broadcast">
                  <h2 id="broadcast">{t("members.broadcast")}</h2>
                  <p class="muted small">{t("members.broadcastHint")}</p>
                  <form
                    class="stack"
                    onSubmit={(e) => {
                      e.preventDefault()
                      const broadcastId = `b-${Date.now().toString(36)}`
                      void send.run(
                        () => api.post<BroadcastReport>("/broadcasts", { broadcastId, segment, text }),
                        (r) =>
                          t("members.broadcastDone", {
                            queued: r.queued,
                            optedOut: r.skipped["opted-out"],
                            blocked: r.skipped.blocked
                          })
                      )
                    }}
                  >
                    <Field label={t("members.message")}>
                      <textarea name="text" rows={3} value={text} onInput={(e) => setText(valueOf(e))} required />
                    </Field>
                    <button type="submit" class="primary" disabled={send.busy || text.trim() === ""}>
                      {t("members.send", { n: number(lang, list.total) })}
                    </button>
                  </form>
                  <Result result={send.result} />
                </section>
              )}
              {list.members.length === 0 ? (
                <p class="empty">{t("members.empty")}</p>
              ) : (
                <ul class="cards members">
                  {list.members.map((m) => (
                    <MemberCard key={m.memberId} m={m} />
                  ))}
                </ul>
              )}
            </>
          )}
        </Show>
      )}
    </>
  )
}

const MemberCard = (props: { readonly m: MemberRow }) => {
  const { t, lang } = useApp()
  const m = props.m
  return (
    <li class="card member-card">
      <div class="card-head">
        <Link to={`members/${seg(m.memberId)}`} class="card-title mono">
          {m.memberId}
        </Link>
        <Badge tone={m.tier === "VIP" ? "purple" : m.tier === "熟客" ? "amber" : "grey"}>{m.tier}</Badge>
      </div>
      <p class="muted small">
        {m.identities.map((i) => (
          <Badge key={i} tone="blue">
            {channelOf(i)}
          </Badge>
        ))}{" "}
        {m.lastOrderAt === null ? t("members.neverOrdered") : t("members.last", { at: dateTime(lang, m.lastOrderAt) })}
      </p>
      <p class="figures">
        <span>{t("members.orders", { n: m.orders, rounds: m.rounds })}</span>
        <span>
          {t("buyers.spend")} <strong>{money(lang, m.spend)}</strong>
        </span>
        <span>{t("members.points", { n: number(lang, m.points) })}</span>
      </p>
      <TagBadges tags={m.tags} />
    </li>
  )
}

export const MemberPage = (props: { readonly memberId: string }) => {
  const { t, api, lang, can } = useApp()
  const [loaded, reload] = useLoad(() => api.get<MemberDetail>(`/members/${seg(props.memberId)}`), [props.memberId])
  const act = useAction()
  const [tag, setTag] = useState("")
  const [note, setNote] = useState("")
  const [reason, setReason] = useState("")
  const [code, setCode] = useState<{ code: string; expiresAt: string }>()
  const change = (changes: ReadonlyArray<unknown>, done: string) =>
    act
      .run(
        () => api.post(`/members/${seg(props.memberId)}/changes`, { changes }),
        () => done
      )
      .then(reload)
  if (!can("members.get")) return <p class="notice warn">{t("common.noAccess")}</p>
  return (
    <Show loaded={loaded} reload={reload}>
      {(d) => {
        const m = d.member
        const channels = [...new Set(m.identities.map(channelOf))]
        return (
          <>
            <PageTitle sub={<Link to="members">{t("members.back")}</Link>}>
              <span class="mono">{m.memberId}</span> <Badge tone="purple">{m.tier}</Badge>
            </PageTitle>
            <Result result={act.result} />
            {m.blocked ? (
              <p class="notice error">{t("members.blockedBecause", { reason: d.blockedReason ?? "" })}</p>
            ) : null}
            <div class="grid-2">
              <section class="panel" aria-labelledby="member-history">
                <h2 id="member-history">{t("members.summary")}</h2>
                <dl class="facts grid">
                  <dt>{t("buyers.orders")}</dt>
                  <dd>{number(lang, m.orders)}</dd>
                  <dt>{t("buyers.rounds")}</dt>
                  <dd>{number(lang, m.rounds)}</dd>
                  <dt>{t("buyers.spend")}</dt>
                  <dd>{money(lang, m.spend)}</dd>
                  <dt>{t("buyers.first")}</dt>
                  <dd>{m.firstOrderAt === null ? "—" : dateTime(lang, m.firstOrderAt)}</dd>
                  <dt>{t("buyers.last")}</dt>
                  <dd>{m.lastOrderAt === null ? "—" : dateTime(lang, m.lastOrderAt)}</dd>
                  <dt>{t("members.pointsLabel")}</dt>
                  <dd>{number(lang, m.points)}</dd>
                </dl>
                <TagBadges tags={m.tags} />
                {d.replenishment.length === 0 ? null : (
                  <>
                    <h3>{t("members.replenish")}</h3>
                    <ul class="plain">
                      {d.replenishment.map((r) => (
                        <li key={r.category}>
                          {t("members.runsOut", {
                            category: r.category,
                            low: r.days[0],
                            high: r.days[1],
                            at: dateTime(lang, r.runsOutAt)
                          })}
                        </li>
                      ))}
                    </ul>
                  </>
                )}
              </section>
              <section class="panel" aria-labelledby="member-identities">
                <h2 id="member-identities">{t("buyers.identities")}</h2>
                <ul class="plain">
                  {m.identities.map((i) => (
                    <li key={i}>
                      <Badge tone="blue">{channelOf(i)}</Badge> <span class="mono small">{i}</span>
                    </li>
                  ))}
                </ul>
                <button
                  type="button"
                  class="secondary"
                  disabled={act.busy}
                  onClick={() =>
                    void act
                      .run(() =>
                        api.post<{ code: string; expiresAt: string }>(`/members/${seg(props.memberId)}/link-code`)
                      )
                      .then((c) => c && setCode(c))
                  }
                >
                  {t("members.linkCode")}
                </button>
                {code === undefined ? null : (
                  <p class="notice ok">
                    {t("members.linkCodeIs", { code: code.code, at: dateTime(lang, code.expiresAt) })}
                  </p>
                )}
                <h3>{t("members.consent")}</h3>
                <ul class="plain">
                  {channels.map((c) => {
                    const optedOut = m.consent[c] === "opted-out"
                    return (
                      <li key={c} class="consent-row">
                        <Badge tone={optedOut ? "red" : "green"}>
                          {c} · {optedOut ? t("members.optedOut") : t("members.allowed")}
                        </Badge>{" "}
                        <button
                          type="button"
                          class="secondary"
                          disabled={act.busy}
                          onClick={() =>
                            void change(
                              [{ _tag: "SetConsent", channel: c, marketing: optedOut ? "granted" : "opted-out" }],
                              t("members.saved")
                            )
                          }
                        >
                          {optedOut ? t("members.allow") : t("members.optOut")}
                        </button>
                      </li>
                    )
                  })}
                </ul>
              </section>
            </div>
            <div class="grid-2">
              <section class="panel" aria-labelledby="member-tags">
                <h2 id="member-tags">{t("members.manualTags")}</h2>
                <div class="chips">
                  {m.manualTags.map((x) => (
                    <button
                      key={x}
                      type="button"
                      class="chip"
                      aria-label={t("members.removeTag", { tag: x })}
                      onClick={() => void change([{ _tag: "RemoveTag", tag: x }], t("members.saved"))}
                    >
                      {x} ✕
                    </button>
                  ))}
                </div>
                <form
                  class="search"
                  onSubmit={(e) => {
                    e.preventDefault()
                    if (tag.trim() !== "")
                      void change([{ _tag: "AddTag", tag: tag.trim() }], t("members.saved")).then(() => setTag(""))
                  }}
                >
                  <Field label={t("members.newTag")} hint={t("members.newTagHint")} class="grow">
                    <input name="tag" value={tag} onInput={(e) => setTag(valueOf(e))} autocomplete="off" />
                  </Field>
                  <button type="submit" class="secondary">
                    {t("members.addTag")}
                  </button>
                </form>
                <h3>{t("members.household")}</h3>
                <HouseholdForm
                  d={d}
                  onSave={(household) => change([{ _tag: "SetHousehold", household }], t("members.saved"))}
                />
              </section>
              <section class="panel" aria-labelledby="member-notes">
                <h2 id="member-notes">{t("members.notes")}</h2>
                {d.notes.length === 0 ? (
                  <p class="muted">{t("common.none")}</p>
                ) : (
                  <ul class="plain">
                    {d.notes.map((n) => (
                      <li key={n.noteId}>
                        {n.text} <span class="muted small">{dateTime(lang, n.at)}</span>
                      </li>
                    ))}
                  </ul>
                )}
                <form
                  class="stack"
                  onSubmit={(e) => {
                    e.preventDefault()
                    if (note.trim() !== "")
                      void change([{ _tag: "AddNote", text: note }], t("members.saved")).then(() => setNote(""))
                  }}
                >
                  <Field label={t("members.newNote")}>
                    <textarea name="note" rows={2} value={note} onInput={(e) => setNote(valueOf(e))} />
                  </Field>
                  <button type="submit" class="secondary">
                    {t("members.addNote")}
                  </button>
                </form>
                <h3>{t("members.blacklist")}</h3>
                <form
                  class="stack"
                  onSubmit={(e) => {
                    e.preventDefault()
                    void change(
                      [m.blocked ? { _tag: "Unblock", reason } : { _tag: "Block", reason }],
                      m.blocked ? t("members.unblocked") : t("members.blocked")
                    ).then(() => setReason(""))
                  }}
                >
                  <Field label={t("members.reason")}>
                    <input name="reason" value={reason} onInput={(e) => setReason(valueOf(e))} required={!m.blocked} />
                  </Field>
                  <button type="submit" class={m.blocked ? "secondary" : "danger"}>
                    {m.blocked ? t("members.unblock") : t("members.block")}
                  </button>
                </form>
              </section>
            </div>
            <section class="panel" aria-labelledby="member-orders">
              <h2 id="member-orders">{t("members.purchases")}</h2>
              {d.purchases.length === 0 ? (
                <p class="empty">{t("buyers.noHistory")}</p>
              ) : (
                <ul class="plain">
                  {d.purchases.map((p) => (
                    <li key={p.orderId}>
                      <Link to={`rounds/${seg(p.roundId)}`} class="mono">
                        {p.roundId}
                      </Link>{" "}
                      <span class="muted small">{dateTime(lang, p.at)}</span> <strong>{money(lang, p.total)}</strong>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          </>
        )
      }}
    </Show>
  )
}

const HouseholdForm = (props: {
  readonly d: MemberDetail
  readonly onSave: (household: Record<string, unknown>) => Promise<unknown>
}) => {
  const { t } = useApp()
  const h = props.d.household
  const [size, setSize] = useState(h.householdSize === undefined ? "" : String(h.householdSize))
  const [freezer, setFreezer] = useState(h.freezerLitres === undefined ? "" : String(h.freezerLitres))
  const [fresh, setFresh] = useState(h.weeklyServings?.生鮮 === undefined ? "" : String(h.weeklyServings.生鮮))
  const num = (s: string) => (s.trim() === "" ? undefined : Number(s))
  return (
    <form
      class="stack"
      onSubmit={(e) => {
        e.preventDefault()
        const household: Record<string, unknown> = {}
        if (num(size) !== undefined) household.householdSize = num(size)
        if (num(freezer) !== undefined) household.freezerLitres = num(freezer)
        if (num(fresh) !== undefined) household.weeklyServings = { ...(h.weeklyServings ?? {}), 生鮮: num(fresh) }
        void props.onSave(household)
      }}
    >
      <div class="row-fields">
        <Field label={t("members.householdSize")}>
          <input
            name="householdSize"
            type="number"
            min={1}
            max={30}
            inputMode="numeric"
            value={size}
            onInput={(e) => setSize(valueOf(e))}
          />
        </Field>
        <Field label={t("members.freezer")}>
          <input
            name="freezerLitres"
            type="number"
            min={0}
            inputMode="numeric"
            value={freezer}
            onInput={(e) => setFreezer(valueOf(e))}
          />
        </Field>
        <Field label={t("members.weekly")}>
          <input
            name="weekly"
            type="number"
            min={0}
            max={100}
            inputMode="numeric"
            value={fresh}
            onInput={(e) => setFresh(valueOf(e))}
          />
        </Field>
      </div>
      <button type="submit" class="secondary">
        {t("common.save")}
      </button>
    </form>
  )
}

/** The i18n keys this page uses (kept here so a missing one is a type error in i18n.ts). */
export type MembersKey = Extract<Key, `members.${string}`>
