/** Buyers (personal data: organiser only): look one up by id; their identities, accounts and history. */
import { useState } from "preact/hooks"
import type { BuyerDetail, OrdersPage } from "../api.js"
import { seg } from "../api.js"
import { dateTime, money, number } from "../format.js"
import type { Key } from "../i18n.js"
import { navigate } from "../router.js"
import { Badge, Field, Link, PageTitle, Show, toneOf, useApp, useLoad, valueOf } from "../ui.js"

export const BuyersLookup = () => {
  const { t, can } = useApp()
  const [id, setId] = useState("")
  if (!can("buyers.get"))
    return (
      <>
        <PageTitle>{t("buyers.title")}</PageTitle>
        <p class="notice warn">{t("common.noAccess")}</p>
      </>
    )
  return (
    <>
      <PageTitle>{t("buyers.title")}</PageTitle>
      <form
        class="search"
        onSubmit={(e) => {
          e.preventDefault()
          if (id.trim() !== "") navigate(`buyers/${seg(id.trim())}`)
        }}
      >
        <Field label={t("buyers.lookup")} hint={t("buyers.lookupHint")} class="grow">
          <input name="buyerId" value={id} onInput={(e) => setId(valueOf(e))} autocomplete="off" />
        </Field>
        <button type="submit" class="primary">
          {t("buyers.open")}
        </button>
      </form>
    </>
  )
}

export const BuyerPage = (props: { readonly buyerId: string; readonly roundId: string | undefined }) => {
  const { t, api, lang, can } = useApp()
  const [detail, reload] = useLoad(() => api.get<BuyerDetail>(`/buyers/${seg(props.buyerId)}`), [props.buyerId])
  const [orders] = useLoad(
    async () =>
      props.roundId === undefined
        ? undefined
        : api.get<OrdersPage>(`/rounds/${seg(props.roundId)}/orders`, { buyer: props.buyerId }),
    [props.buyerId, props.roundId]
  )
  return (
    <>
      {can("buyers.get") ? null : <p class="notice warn">{t("common.noAccess")}</p>}
      <Show loaded={detail} reload={reload}>
        {(d) => (
          <>
            <PageTitle sub={<span class="mono">{d.buyer.id}</span>}>{d.buyer.name}</PageTitle>
            <div class="grid-2">
              <section class="panel" aria-labelledby="history">
                <h2 id="history">{t("buyers.history")}</h2>
                {d.history === null ? (
                  <p class="empty">{t("buyers.noHistory")}</p>
                ) : (
                  <dl class="facts grid">
                    <dt>{t("buyers.orders")}</dt>
                    <dd>{number(lang, d.history.orders)}</dd>
                    <dt>{t("buyers.units")}</dt>
                    <dd>{number(lang, d.history.units)}</dd>
                    <dt>{t("buyers.spend")}</dt>
                    <dd>{money(lang, d.history.spend)}</dd>
                    <dt>{t("buyers.first")}</dt>
                    <dd>{dateTime(lang, d.history.firstOrderAt)}</dd>
                    <dt>{t("buyers.last")}</dt>
                    <dd>{dateTime(lang, d.history.lastOrderAt)}</dd>
                    <dt>{t("buyers.rounds")}</dt>
                    <dd>
                      {d.history.rounds.map((r) => (
                        <Link
                          key={r}
                          to={`rounds/${seg(r)}/orders?q=${encodeURIComponent(d.buyer.id)}&folder=awaiting`}
                          class="pill"
                        >
                          {r}
                        </Link>
                      ))}
                    </dd>
                  </dl>
                )}
              </section>
              <section class="panel" aria-labelledby="identities">
                <h2 id="identities">{t("buyers.identities")}</h2>
                <ul class="plain">
                  {d.buyer.identities.map((i) => (
                    <li key={`${i.channel}:${i.userId}`}>
                      <Badge tone="blue">{i.channel}</Badge> {i.name ?? ""} <span class="mono small">{i.userId}</span>
                    </li>
                  ))}
                </ul>
                <h2>{t("buyers.accounts")}</h2>
                {d.buyer.accounts.length === 0 ? (
                  <p class="muted">{t("common.none")}</p>
                ) : (
                  <ul class="plain">
                    {d.buyer.accounts.map((a) => (
                      <li key={`${a.bankCode}-${a.last5}`} class="mono">
                        {a.bankCode === undefined
                          ? t("buyers.accountNoBank", { last5: a.last5 })
                          : t("buyers.account", { bank: a.bankCode, last5: a.last5 })}
                      </li>
                    ))}
                  </ul>
                )}
              </section>
            </div>
          </>
        )}
      </Show>
      {props.roundId === undefined ? null : (
        <section class="panel" aria-labelledby="orders-in">
          <h2 id="orders-in">{t("buyers.ordersIn")}</h2>
          <Show loaded={orders}>
            {(page) =>
              page === undefined || page.items.length === 0 ? (
                <p class="empty">{t("orders.empty")}</p>
              ) : (
                <ul class="plain">
                  {page.items.map((o) => (
                    <li key={o.orderId} class="buyer-order">
                      <Badge tone={toneOf(o.status)}>{t(`status.${o.status}` as Key)}</Badge>{" "}
                      {o.lines
                        .filter((l) => l.qty > 0)
                        .map((l) => `${l.sku} × ${l.qty}`)
                        .join("、")}{" "}
                      <strong>{money(lang, o.total)}</strong>
                    </li>
                  ))}
                </ul>
              )
            }
          </Show>
        </section>
      )}
    </>
  )
}
