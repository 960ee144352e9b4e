/** The shell: sign-in, the header with the main menu and the language switch, and the pages. */
import { useEffect, useMemo, useState } from "preact/hooks"
import { ApiError, explain, type Me, makeApi, whoAmI } from "./api.js"
import { type Lang, saveLang, savedLang, translator } from "./i18n.js"
import { BuyerPage, BuyersLookup } from "./pages/Buyers.js"
import { Dashboard } from "./pages/Dashboard.js"
import { MemberPage, MembersPage } from "./pages/Members.js"
import { InsightsPage } from "./pages/Insights.js"
import { Orders } from "./pages/Orders.js"
import { Payments } from "./pages/Payments.js"
import { PickupPage } from "./pages/Pickup.js"
import { CounterPage } from "./pages/Counter.js"
import { Review } from "./pages/Review.js"
import { Rounds } from "./pages/Rounds.js"
import { RoundSettings } from "./pages/Settings.js"
import { navigate, useLocation } from "./router.js"
import { type App as AppValue, AppContext, Link, PageTitle, useApp } from "./ui.js"

const TOKEN_KEY = "kaituan.token"

const readToken = (): string | undefined => {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined
  } catch {
    return undefined
  }
}

export const App = () => {
  const [lang, setLang] = useState<Lang>(savedLang)
  const t = useMemo(() => translator(lang), [lang])
  const [token, setToken] = useState<string | undefined>(readToken)
  const [me, setMe] = useState<Me>()
  const [checkError, setCheckError] = useState<unknown>()

  useEffect(() => {
    document.documentElement.lang = lang
    document.title = t("app.name")
  }, [lang, t])

  const signOut = () => {
    try {
      sessionStorage.removeItem(TOKEN_KEY)
    } catch {}
    setToken(undefined)
    setMe(undefined)
  }

  // A token kept from before (a reload): check it again.
  useEffect(() => {
    if (token === undefined || me !== undefined) return
    whoAmI(token).then(setMe, (e) => {
      setCheckError(e)
      if (e instanceof ApiError && e.status === 401) signOut()
    })
  }, [token, me])

  const switchLang = () => {
    const next: Lang = lang === "zh-TW" ? "en" : "zh-TW"
    saveLang(next)
    setLang(next)
  }

  const langButton = (
    <button type="button" class="lang" onClick={switchLang} aria-label={t("lang.switchLabel")}>
      {t("lang.switch")}
    </button>
  )

  if (token === undefined || me === undefined)
    return (
      <Login
        t={t}
        langButton={langButton}
        checking={token !== undefined && checkError === undefined}
        error={checkError}
        onSignedIn={(tok, who) => {
          try {
            sessionStorage.setItem(TOKEN_KEY, tok)
          } catch {}
          setCheckError(undefined)
          setToken(tok)
          setMe(who)
        }}
      />
    )

  const app: AppValue = {
    lang,
    t,
    me,
    api: makeApi(token, signOut),
    can: (operation) => me.can.includes(operation)
  }
  return (
    <AppContext.Provider value={app}>
      <Shell langButton={langButton} onSignOut={signOut} />
    </AppContext.Provider>
  )
}

const Login = (props: {
  readonly t: ReturnType<typeof translator>
  readonly langButton: preact.JSX.Element
  readonly checking: boolean
  readonly error: unknown
  readonly onSignedIn: (token: string, me: Me) => void
}) => {
  const { t } = props
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const submit = async (e: Event) => {
    e.preventDefault()
    const form = e.currentTarget as HTMLFormElement
    const token = String(new FormData(form).get("token") ?? "").trim()
    if (token === "") {
      setError(t("login.empty"))
      return
    }
    setBusy(true)
    setError(undefined)
    try {
      props.onSignedIn(token, await whoAmI(token))
    } catch (err) {
      setError(explain(t, err).message)
    } finally {
      setBusy(false)
    }
  }
  const shown = error ?? (props.error === undefined ? undefined : explain(t, props.error).message)
  return (
    <main class="login" id="main">
      <div class="login-card">
        <div class="login-head">
          <span class="brand">{t("app.name")}</span>
          {props.langButton}
        </div>
        <h1>{t("login.title")}</h1>
        <p class="muted">{t("login.intro")}</p>
        <form onSubmit={submit} class="stack">
          <label class="field">
            <span class="label">{t("login.token")}</span>
            <input
              name="token"
              type="password"
              autocomplete="off"
              autocapitalize="off"
              spellcheck={false}
              required
              aria-describedby="token-hint"
            />
            <span class="hint" id="token-hint">
              {t("login.tokenHint")}
            </span>
          </label>
          {shown === undefined ? null : (
            <p class="notice error" role="alert">
              {shown}
            </p>
          )}
          <button type="submit" class="primary" disabled={busy || props.checking}>
            {busy || props.checking ? t("login.checking") : t("login.submit")}
          </button>
        </form>
      </div>
    </main>
  )
}

const Shell = (props: { readonly langButton: preact.JSX.Element; readonly onSignOut: () => void }) => {
  const { t, me, can } = useApp()
  const location = useLocation()
  const parts = location.path === "" ? [] : location.path.split("/").map(decodeURIComponent)
  const section = parts[0] ?? "rounds"
  const nav = [
    { to: "rounds", key: "nav.rounds" as const, show: true },
    { to: "pickup", key: "nav.pickup" as const, show: true },
    { to: "buyers", key: "nav.buyers" as const, show: can("buyers.get") },
    { to: "members", key: "nav.members" as const, show: can("members.list") },
    { to: "insights", key: "nav.insights" as const, show: can("insights.report") },
    { to: "counter", key: "nav.counter" as const, show: can("counter.lookup") }
  ]
  return (
    <>
      <a class="skip" href="#main">
        {t("app.skip")}
      </a>
      <header class="topbar">
        <div class="topbar-row">
          <Link to="rounds" class="brand">
            {t("app.name")}
          </Link>
          <span class="who" data-role={me.role}>
            {t("role.as", { label: me.label, role: t(`role.${me.role}`) })}
          </span>
          <div class="topbar-actions">
            {props.langButton}
            <button type="button" class="ghost" onClick={props.onSignOut}>
              {t("nav.logout")}
            </button>
          </div>
        </div>
        <nav aria-label={t("nav.menu")} class="mainnav">
          {nav
            .filter((n) => n.show)
            .map((n) => (
              <Link key={n.to} to={n.to} aria-current={section === n.to ? "page" : undefined}>
                {t(n.key)}
              </Link>
            ))}
        </nav>
      </header>
      <main id="main" class="content">
        <Page parts={parts} query={location.query} />
      </main>
    </>
  )
}

const Page = (props: { readonly parts: ReadonlyArray<string>; readonly query: URLSearchParams }) => {
  const { parts, query } = props
  const [section, id, sub] = parts
  if (section === undefined || (section === "rounds" && id === undefined)) return <Rounds />
  if (section === "rounds" && id !== undefined) {
    if (sub === undefined) return <Dashboard roundId={id} />
    if (sub === "orders") return <Orders roundId={id} query={query} />
    if (sub === "review") return <Review roundId={id} />
    if (sub === "payments") return <Payments roundId={id} />
    if (sub === "settings") return <RoundSettings roundId={id} />
  }
  if (section === "insights") return <InsightsPage />
  if (section === "pickup") return <PickupPage initialCode={query.get("code") ?? ""} />
  if (section === "counter") return <CounterPage initialQuery={query.get("q") ?? ""} />
  if (section === "buyers" && id === undefined) return <BuyersLookup />
  if (section === "buyers" && id !== undefined)
    return <BuyerPage buyerId={id} roundId={query.get("round") ?? undefined} />
  if (section === "members" && id === undefined) return <MembersPage query={query} />
  if (section === "members" && id !== undefined) return <MemberPage memberId={id} />
  return <NotFound />
}

const NotFound = () => {
  const { t } = useApp()
  useEffect(() => {
    if (window.location.pathname.endsWith("/index.html")) navigate("rounds", { replace: true })
  }, [])
  return (
    <>
      <PageTitle>{t("notFound.title")}</PageTitle>
      <Link to="rounds" class="button secondary">
        {t("notFound.home")}
      </Link>
    </>
  )
}
