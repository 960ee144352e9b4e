/** The app's context (language, session, API) and the small components every page uses. */
import type { ComponentChildren, TargetedEvent } from "preact"
import { createContext } from "preact"
import { useCallback, useContext, useEffect, useRef, useState } from "preact/hooks"
import { type Api, ApiError, explain, type Me } from "./api.js"
import { isKey, type Key, type Lang, type Params, type T } from "./i18n.js"
import { href, navigate } from "./router.js"

export interface App {
  readonly lang: Lang
  readonly t: T
  readonly me: Me
  readonly api: Api
  /** Whether the token's role may call an operation (`payments.approve`): the API's `can` list. */
  readonly can: (operation: string) => boolean
}

export const AppContext = createContext<App | undefined>(undefined)

export const useApp = (): App => {
  const app = useContext(AppContext)
  if (app === undefined) throw new Error("useApp outside the app")
  return app
}

/** A translated key built at run time (a status, a reason), or the raw value when it is not one. */
export const tr = (t: T, key: string, fallback: string, params?: Params): string =>
  isKey(key) ? t(key as Key, params) : fallback

// ---------------------------------------------------------------------------------------------
// Loading data

export type Loaded<A> =
  | { readonly state: "loading" }
  | { readonly state: "failed"; readonly error: unknown }
  | { readonly state: "done"; readonly value: A }

/** Loads `load()` now and whenever `deps` change; `reload` loads again. */
export const useLoad = <A,>(
  load: () => Promise<A>,
  deps: ReadonlyArray<unknown>
): [Loaded<A>, () => void, (f: (a: A) => A) => void] => {
  const [loaded, setLoaded] = useState<Loaded<A>>({ state: "loading" })
  const [tick, setTick] = useState(0)
  useEffect(() => {
    let live = true
    load().then(
      (value) => live && setLoaded({ state: "done", value }),
      (error) => live && setLoaded({ state: "failed", error })
    )
    return () => {
      live = false
    }
  }, [...deps, tick])
  const reload = useCallback(() => setTick((n) => n + 1), [])
  const update = useCallback(
    (f: (a: A) => A) => setLoaded((l) => (l.state === "done" ? { state: "done", value: f(l.value) } : l)),
    []
  )
  return [loaded, reload, update]
}

/** Runs an action: `busy` while it runs, its error (explained) or its success message after. */
export const useAction = () => {
  const { t } = useApp()
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<{ readonly ok: boolean; readonly message: string; readonly detail?: string }>()
  const run = useCallback(
    async <A,>(action: () => Promise<A>, success?: (a: A) => string): Promise<A | undefined> => {
      setBusy(true)
      setResult(undefined)
      try {
        const a = await action()
        if (success !== undefined) setResult({ ok: true, message: success(a) })
        return a
      } catch (e) {
        setResult({ ok: false, ...explain(t, e) })
        return undefined
      } finally {
        setBusy(false)
      }
    },
    [t]
  )
  return { busy, result, run, clear: () => setResult(undefined) }
}

// ---------------------------------------------------------------------------------------------
// Components

export const Link = (props: {
  readonly to: string
  readonly class?: string
  readonly children: ComponentChildren
  readonly "aria-current"?: "page" | undefined
}) => (
  <a
    href={href(props.to)}
    class={props.class}
    aria-current={props["aria-current"]}
    onClick={(e) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
      e.preventDefault()
      navigate(props.to)
    }}
  >
    {props.children}
  </a>
)

export const ErrorBox = (props: { readonly error: unknown; readonly onRetry?: () => void }) => {
  const { t } = useApp()
  const { message, detail } = explain(t, props.error)
  return (
    <div class="notice error" role="alert">
      <p>{message}</p>
      {detail === undefined ? null : <p class="detail">{detail}</p>}
      {props.onRetry === undefined || (props.error instanceof ApiError && props.error.status === 403) ? null : (
        <button type="button" class="secondary" onClick={props.onRetry}>
          {t("common.retry")}
        </button>
      )}
    </div>
  )
}

export const Result = (props: {
  readonly result: { readonly ok: boolean; readonly message: string; readonly detail?: string } | undefined
}) => {
  if (props.result === undefined) return null
  return (
    <div class={`notice ${props.result.ok ? "ok" : "error"}`} role={props.result.ok ? "status" : "alert"}>
      <p>{props.result.message}</p>
      {props.result.detail === undefined ? null : <p class="detail">{props.result.detail}</p>}
    </div>
  )
}

export const Loading = () => {
  const { t } = useApp()
  return (
    <p class="muted" aria-live="polite">
      {t("common.loading")}
    </p>
  )
}

/** Shows what `loaded` holds: a spinner, the error (with retry), or `children(value)`. */
export const Show = <A,>(props: {
  readonly loaded: Loaded<A>
  readonly reload?: () => void
  readonly children: (a: A) => ComponentChildren
}) =>
  props.loaded.state === "loading" ? (
    <Loading />
  ) : props.loaded.state === "failed" ? (
    <ErrorBox error={props.loaded.error} {...(props.reload === undefined ? {} : { onRetry: props.reload })} />
  ) : (
    props.children(props.loaded.value)
  )

export const Badge = (props: { readonly tone: string; readonly children: ComponentChildren }) => (
  <span class={`badge ${props.tone}`}>{props.children}</span>
)

const tones: Record<string, string> = {
  open: "blue",
  "awaiting-payment": "amber",
  paid: "green",
  "partly-shipped": "teal",
  shipped: "teal",
  completed: "grey",
  cancelled: "red",
  refunded: "red",
  draft: "grey",
  closed: "amber",
  paused: "purple",
  settled: "grey",
  matched: "green",
  approved: "green",
  review: "amber",
  unmatched: "red",
  rejected: "grey",
  ignored: "grey"
}
export const toneOf = (status: string): string => tones[status] ?? "grey"

/** A field: its label above the control, and a hint under it. */
export const Field = (props: {
  readonly label: string
  readonly hint?: string
  readonly children: ComponentChildren
  readonly class?: string
}) => (
  // biome-ignore lint/a11y/noLabelWithoutControl: the control is `children`
  <label class={`field ${props.class ?? ""}`}>
    <span class="label">{props.label}</span>
    {props.children}
    {props.hint === undefined ? null : <span class="hint">{props.hint}</span>}
  </label>
)

/** A confirmation dialog (the native `<dialog>`), resolved by its two buttons. */
export const useConfirm = () => {
  const { t } = useApp()
  const ref = useRef<HTMLDialogElement>(null)
  const [text, setText] = useState("")
  const resolver = useRef<(ok: boolean) => void>(undefined)
  const ask = (message: string): Promise<boolean> => {
    setText(message)
    return new Promise((resolve) => {
      resolver.current = resolve
      ref.current?.showModal()
    })
  }
  const answer = (ok: boolean) => {
    ref.current?.close()
    resolver.current?.(ok)
    resolver.current = undefined
  }
  const dialog = (
    <dialog ref={ref} class="dialog" onCancel={() => answer(false)}>
      <p>{text}</p>
      <div class="actions">
        <button type="button" class="secondary" onClick={() => answer(false)}>
          {t("common.cancel")}
        </button>
        <button type="button" class="danger" onClick={() => answer(true)}>
          {t("common.confirm")}
        </button>
      </div>
    </dialog>
  )
  return { ask, dialog }
}

export const PageTitle = (props: { readonly children: ComponentChildren; readonly sub?: ComponentChildren }) => (
  <header class="page-title">
    <h1>{props.children}</h1>
    {props.sub === undefined ? null : <p class="muted">{props.sub}</p>}
  </header>
)

export type InputEvent = TargetedEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement, Event>
export const valueOf = (e: InputEvent): string => e.currentTarget.value
