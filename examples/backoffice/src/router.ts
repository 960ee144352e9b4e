/**
 * A path router in a few lines: the app lives under the base path Vite builds it for (`/admin/`),
 * pages are plain paths below it (`rounds/socks/orders?folder=toship`), and the server answers
 * index.html for every one of them, so a reload or a shared link opens the same page.
 */
import { useEffect, useState } from "preact/hooks"

export const base: string = import.meta.env.BASE_URL.endsWith("/")
  ? import.meta.env.BASE_URL
  : `${import.meta.env.BASE_URL}/`

export interface Location {
  /** The path below the base, without leading or trailing slashes (`rounds/socks`). */
  readonly path: string
  readonly query: URLSearchParams
}

const current = (): Location => {
  const { pathname, search } = window.location
  const rest = pathname.startsWith(base) ? pathname.slice(base.length) : pathname.replace(/^\/+/, "")
  return { path: rest.replace(/\/+$/, ""), query: new URLSearchParams(search) }
}

const CHANGE = "kaituan:navigate"

/** The full URL of a page (`href("rounds/socks")` → `/admin/rounds/socks`). */
export const href = (path: string): string => `${base}${path.replace(/^\/+/, "")}`

export const navigate = (path: string, options: { readonly replace?: boolean } = {}): void => {
  const url = href(path)
  if (options.replace === true) window.history.replaceState(null, "", url)
  else window.history.pushState(null, "", url)
  window.dispatchEvent(new Event(CHANGE))
  window.scrollTo(0, 0)
}

export const useLocation = (): Location => {
  const [location, setLocation] = useState(current)
  useEffect(() => {
    const update = () => setLocation(current())
    window.addEventListener("popstate", update)
    window.addEventListener(CHANGE, update)
    return () => {
      window.removeEventListener("popstate", update)
      window.removeEventListener(CHANGE, update)
    }
  }, [])
  return location
}
