/** The header of a round's pages: its title and status, and the tabs between its pages. */
import type { Round } from "../api.js"
import { seg } from "../api.js"
import type { Key } from "../i18n.js"
import { Badge, Link, toneOf, useApp, useLoad } from "../ui.js"

export type RoundTab = "dashboard" | "orders" | "review" | "payments" | "settings"

export const useRound = (roundId: string) => {
  const { api } = useApp()
  return useLoad(() => api.get<Round>(`/rounds/${seg(roundId)}`), [roundId])
}

export const RoundHeader = (props: {
  readonly roundId: string
  readonly current: RoundTab
  readonly round: Round | undefined
  readonly badge?: Partial<Record<RoundTab, number>>
}) => {
  const { t, can } = useApp()
  const tabs: ReadonlyArray<{ tab: RoundTab; path: string; key: Key; show: boolean }> = [
    { tab: "dashboard", path: "", key: "tabs.dashboard", show: true },
    { tab: "orders", path: "/orders", key: "tabs.orders", show: true },
    { tab: "review", path: "/review", key: "tabs.review", show: true },
    { tab: "payments", path: "/payments", key: "tabs.payments", show: can("payments.decisions") },
    { tab: "settings", path: "/settings", key: "tabs.settings", show: can("rounds.update") }
  ]
  return (
    <div class="round-header">
      <div class="round-title">
        <h1>{props.round?.title ?? props.roundId}</h1>
        {props.round === undefined ? null : (
          <Badge tone={toneOf(props.round.status)}>{t(`rounds.status.${props.round.status}` as Key)}</Badge>
        )}
      </div>
      <nav class="tabs" aria-label={t("tabs.roundNav")}>
        {tabs
          .filter((x) => x.show || x.tab === props.current)
          .map((x) => {
            const n = props.badge?.[x.tab]
            return (
              <Link
                key={x.tab}
                to={`rounds/${seg(props.roundId)}${x.path}`}
                class="tab"
                aria-current={x.tab === props.current ? "page" : undefined}
              >
                {t(x.key)}
                {n === undefined || n === 0 ? null : <span class="count">{n}</span>}
              </Link>
            )
          })}
      </nav>
    </div>
  )
}
