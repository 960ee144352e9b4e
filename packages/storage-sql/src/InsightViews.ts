/**
 * SQL views of the insights on PostgreSQL, for BI tools (Metabase, Power BI, Looker Studio): the
 * same definitions as `Insights.report` in `@kaituan/core` (docs/insights.md), read from the
 * insight read models' documents and the organiser's settings events. A test holds the views'
 * numbers equal to the library's on the insights contract's fixture.
 *
 * ```ts
 * yield* InsightViews.install({ tablePrefix: "kaituan_" })  // CREATE OR REPLACE VIEW …
 * ```
 *
 * The views (names under the store's table prefix):
 *
 * - `insight_orders`: one row per confirmed order (cancelled ones too, `valid` false): round,
 *   buyer, channel, placement time and Taipei date and month, revenue, refunds, its leader and
 *   region, and its costs: cost of goods, shipping, payment fees, commission, allocated fixed and
 *   marketing costs, and profit.
 * - `insight_order_lines`: one row per order line with its product, category, unit cost and
 *   returned units.
 * - `insight_shipped_lines`: one row per shipped line with its days to ship.
 * - `insight_kpi_rounds`: the KPIs per round (every valid order, all time).
 *
 * @since 0.4.0
 */
import { Effect } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import { defaultPrefix } from "./Migrations.js"

/** Where the views go: the table prefix of the store (default `kaituan_`, the store's default). */
export interface Options {
  readonly tablePrefix?: string | undefined
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`

/** The view names, in creation order (each reads the ones before it). */
export const names = [
  "insight_settings",
  "insight_round_skus",
  "insight_order_lines",
  "insight_shipped_lines",
  "insight_orders",
  "insight_kpi_rounds"
] as const

/** The `CREATE OR REPLACE VIEW` statements for a table prefix (PostgreSQL). */
export const statements = (options: Options = {}): Array<string> => {
  const p = options.tablePrefix ?? defaultPrefix
  const t = (name: string) => ident(`${p}${name}`)
  const docs = (model: string) => `(SELECT id, doc::jsonb AS j FROM ${t("documents")} WHERE model = '${model}')`
  const settings = `(SELECT position, type, data::jsonb AS d FROM ${t("events")} WHERE stream = 'settings:insights')`
  // The latest value of each setting key (the settings decider's state, as SQL).
  const latest = (type: string, key: string, value: string) =>
    `(SELECT DISTINCT ON (d->>'${key}') d->>'${key}' AS k, d->'${value}' AS v FROM ${settings} s
      WHERE type = '${type}' ORDER BY d->>'${key}', position DESC)`
  const taipei = (ts: string) => `(${ts} AT TIME ZONE 'Asia/Taipei')`
  return [
    // One row per setting: kind (unit-cost, shipping-cost, fee-rate, category, cost, leader), key and value.
    `CREATE OR REPLACE VIEW ${t("insight_settings")} AS
      SELECT 'unit-cost' AS kind, k AS key, v AS value FROM ${latest("UnitCostSet", "sku", "cost")} x
      UNION ALL SELECT 'shipping-cost', k, v FROM ${latest("ShippingCostSet", "method", "cost")} x
      UNION ALL SELECT 'fee-rate', k, v FROM ${latest("FeeRateSet", "key", "rate")} x
      UNION ALL SELECT 'category', k, v FROM ${latest("CategorySet", "product", "category")} x
      UNION ALL SELECT 'cost', k, v FROM (
        SELECT DISTINCT ON (k) k, type, v FROM (
          SELECT position, type,
            CASE WHEN type = 'CostSet' THEN d->'cost'->>'id' ELSE d->>'id' END AS k,
            d->'cost' AS v
          FROM ${settings} s WHERE type IN ('CostSet', 'CostRemoved')) e
        ORDER BY k, position DESC) c WHERE type = 'CostSet'
      UNION ALL SELECT 'leader', k, v FROM (
        SELECT DISTINCT ON (k) k, type, v FROM (
          SELECT position, type,
            CASE WHEN type = 'LeaderSet' THEN d->'leader'->>'id' ELSE d->>'id' END AS k,
            d->'leader' AS v
          FROM ${settings} s WHERE type IN ('LeaderSet', 'LeaderRemoved')) e
        ORDER BY k, position DESC) l WHERE type = 'LeaderSet'`,
    `CREATE OR REPLACE VIEW ${t("insight_round_skus")} AS
      SELECT r.id AS round_id, s->>'sku' AS sku, s->>'product' AS product, s->>'productName' AS product_name,
        (s->>'cost')::numeric AS cost
      FROM ${docs("insight-rounds")} r, jsonb_array_elements(r.j->'skus') s`,
    `CREATE OR REPLACE VIEW ${t("insight_order_lines")} AS
      WITH returned AS (
        SELECT sh.j->>'orderId' AS order_id, sl->>'sku' AS sku, sum((sl->>'qty')::numeric) AS qty
        FROM ${docs("insight-shipments")} sh, jsonb_array_elements(sh.j->'lines') sl
        WHERE sh.j ? 'returned' GROUP BY 1, 2
      )
      SELECT o.id AS order_id, o.j->>'roundId' AS round_id, l->>'sku' AS sku,
        COALESCE(k.product, l->>'sku') AS product,
        COALESCE(cat.value #>> '{}', k.product, l->>'sku') AS category,
        (l->>'qty')::numeric AS qty, (l->>'unitPrice')::numeric AS unit_price,
        (l->>'qty')::numeric * (l->>'unitPrice')::numeric AS revenue,
        COALESCE((uc.value #>> '{}')::numeric, k.cost, 0) AS unit_cost,
        COALESCE(rt.qty, 0) AS returned_qty
      FROM ${docs("insight-orders")} o
      CROSS JOIN LATERAL jsonb_array_elements(o.j->'lines') l
      LEFT JOIN ${t("insight_round_skus")} k ON k.round_id = o.j->>'roundId' AND k.sku = l->>'sku'
      LEFT JOIN ${t("insight_settings")} uc ON uc.kind = 'unit-cost' AND uc.key = l->>'sku'
      LEFT JOIN ${t("insight_settings")} cat ON cat.kind = 'category' AND cat.key = COALESCE(k.product, l->>'sku')
      LEFT JOIN returned rt ON rt.order_id = o.id AND rt.sku = l->>'sku'`,
    `CREATE OR REPLACE VIEW ${t("insight_shipped_lines")} AS
      SELECT o.id AS order_id, o.j->>'roundId' AS round_id, s->>'sku' AS sku, (s->>'qty')::numeric AS qty,
        (s->>'at')::timestamptz AS shipped_at,
        EXTRACT(EPOCH FROM ((s->>'at')::timestamptz - (o.j->>'placedAt')::timestamptz)) / 86400 AS days_to_ship,
        (s->>'qty')::numeric * COALESCE((SELECT (l->>'unitPrice')::numeric FROM jsonb_array_elements(o.j->'lines') l
          WHERE l->>'sku' = s->>'sku' LIMIT 1), 0) AS value
      FROM ${docs("insight-orders")} o, jsonb_array_elements(o.j->'shipped') s
      WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(o.j->'lines') l WHERE l->>'sku' = s->>'sku')`,
    `CREATE OR REPLACE VIEW ${t("insight_orders")} AS
      WITH base AS (
        SELECT o.id AS order_id, o.j->>'roundId' AS round_id, o.j->>'buyerId' AS buyer_id,
          CASE WHEN strpos(o.j->>'buyerId', ':') > 1 THEN split_part(o.j->>'buyerId', ':', 1) ELSE 'import' END AS channel,
          (o.j->>'placedAt')::timestamptz AS placed_at,
          ${taipei("(o.j->>'placedAt')::timestamptz")}::date AS placed_date,
          to_char(${taipei("(o.j->>'placedAt')::timestamptz")}, 'YYYY-MM') AS placed_month,
          o.j->>'status' AS status, o.j->>'status' <> 'cancelled' AS valid,
          (o.j->>'refunded')::numeric AS refunds,
          (SELECT COALESCE(sum((l->>'qty')::numeric * (l->>'unitPrice')::numeric), 0)
            FROM jsonb_array_elements(o.j->'lines') l) AS revenue,
          (SELECT COALESCE(sum((l->>'qty')::numeric), 0) FROM jsonb_array_elements(o.j->'lines') l) AS units,
          (SELECT COALESCE(sum((sc.value #>> '{}')::numeric), 0) FROM jsonb_array_elements(o.j->'deliveries') dl
            JOIN ${t("insight_settings")} sc ON sc.kind = 'shipping-cost' AND sc.key = dl->>'method') AS shipping_cost,
          (SELECT COALESCE(sum((pa->>'amount')::numeric * COALESCE((g.value #>> '{}')::numeric, (s.value #>> '{}')::numeric, 0)), 0)
            FROM jsonb_array_elements(o.j->'payments') pa
            LEFT JOIN ${docs("insight-payments")} py ON py.id = pa->>'paymentId'
            LEFT JOIN ${t("insight_settings")} g ON g.kind = 'fee-rate' AND g.key = COALESCE(py.j->>'gateway', '')
            LEFT JOIN ${t("insight_settings")} s ON s.kind = 'fee-rate' AND s.key = COALESCE(py.j->>'source', 'statement')
          ) AS payment_fees,
          COALESCE(cg.cost_of_goods, 0) AS cost_of_goods,
          (SELECT CASE WHEN count(*) = 1 THEN min(li->>'conversation') END
            FROM ${docs("insight-rounds")} r, jsonb_array_elements(r.j->'listens') li
            WHERE r.id = o.j->>'roundId'
              AND li->>'channel' = CASE WHEN strpos(o.j->>'buyerId', ':') > 1 THEN split_part(o.j->>'buyerId', ':', 1) ELSE 'import' END
          ) AS conversation
        FROM ${docs("insight-orders")} o
        LEFT JOIN (SELECT ol.order_id, sum(GREATEST(0, ol.qty - ol.returned_qty) * ol.unit_cost) AS cost_of_goods
          FROM ${t("insight_order_lines")} ol GROUP BY ol.order_id) cg ON cg.order_id = o.id
      ),
      attributed AS (
        SELECT b.*, ld.key AS leader_id, ld.value->>'region' AS region,
          COALESCE((ld.value->>'commissionRate')::numeric, 0) AS commission_rate
        FROM base b
        LEFT JOIN ${t("insight_settings")} ld ON ld.kind = 'leader' AND b.conversation IS NOT NULL
          AND EXISTS (SELECT 1 FROM jsonb_array_elements(ld.value->'conversations') c
            WHERE c->>'channel' = b.channel AND c->>'conversation' = b.conversation)
      ),
      costs AS (
        SELECT c.value->>'kind' AS kind, c.value->'scope'->>'_tag' AS scope, c.value->'scope'->>'roundId' AS round_id,
          c.value->'scope'->>'month' AS month, (c.value->>'amount')::numeric AS amount
        FROM ${t("insight_settings")} c WHERE c.kind = 'cost'
      ),
      scoped AS (
        SELECT a.order_id, k.kind,
          k.amount * a.revenue / NULLIF(sum(a.revenue) OVER (PARTITION BY k.ctid_), 0) AS share
        FROM attributed a
        JOIN (SELECT *, row_number() OVER () AS ctid_ FROM costs) k
          ON a.valid AND ((k.scope = 'Round' AND k.round_id = a.round_id) OR (k.scope = 'Month' AND k.month = a.placed_month))
      ),
      allocated AS (
        SELECT order_id, sum(share) FILTER (WHERE kind = 'fixed') AS fixed, sum(share) FILTER (WHERE kind = 'marketing') AS marketing
        FROM scoped GROUP BY order_id
      )
      SELECT a.order_id, a.round_id, a.buyer_id, a.channel, a.conversation, a.leader_id, a.region,
        a.placed_at, a.placed_date, a.placed_month, a.status, a.valid, a.units, a.revenue, a.cost_of_goods,
        a.shipping_cost, a.payment_fees, a.refunds,
        (a.revenue - a.refunds) * a.commission_rate AS commission,
        COALESCE(al.fixed, 0) AS fixed_costs,
        COALESCE(al.marketing, 0) AS marketing_costs,
        a.revenue - a.cost_of_goods - a.shipping_cost - a.payment_fees - a.refunds
          - (a.revenue - a.refunds) * a.commission_rate
          - COALESCE(al.fixed, 0) - COALESCE(al.marketing, 0) AS profit
      FROM attributed a
      LEFT JOIN allocated al USING (order_id)`,
    `CREATE OR REPLACE VIEW ${t("insight_kpi_rounds")} AS
      WITH o AS (SELECT * FROM ${t("insight_orders")} WHERE valid),
      per_round AS (
        SELECT round_id, count(*) AS orders, count(DISTINCT buyer_id) AS buyers, sum(units) AS units,
          sum(revenue) AS revenue, sum(cost_of_goods) AS cost_of_goods, sum(shipping_cost) AS shipping_cost,
          sum(payment_fees) AS payment_fees, sum(refunds) AS refunds, sum(commission) AS commission,
          sum(fixed_costs) AS fixed_costs, sum(marketing_costs) AS marketing_costs, sum(profit) AS profit
        FROM o GROUP BY round_id
      ),
      shipped AS (
        SELECT s.round_id, sum(s.qty) AS shipped_units, sum(s.value) AS shipped_value,
          avg(s.days_to_ship) AS days_to_ship_mean,
          percentile_disc(0.5) WITHIN GROUP (ORDER BY s.days_to_ship) AS days_to_ship_median
        FROM ${t("insight_shipped_lines")} s JOIN o USING (order_id) GROUP BY s.round_id
      ),
      returned AS (
        SELECT l.round_id, sum(l.returned_qty) AS returned_units, sum(l.returned_qty * l.unit_price) AS returned_value
        FROM ${t("insight_order_lines")} l JOIN o USING (order_id) GROUP BY l.round_id
      ),
      comments AS (
        SELECT r.id AS round_id, count(DISTINCT c->>'buyerId') AS commenters,
          count(DISTINCT c->>'buyerId') FILTER (WHERE (c->>'became')::boolean) AS commenters_who_ordered,
          count(*) FILTER (WHERE (c->>'looked')::boolean) AS order_like_comments,
          count(*) FILTER (WHERE (c->>'looked')::boolean AND (c->>'became')::boolean) AS comments_that_ordered
        FROM ${docs("insight-rounds")} r, jsonb_array_elements(r.j->'comments') c GROUP BY r.id
      ),
      reviews AS (
        SELECT r.id AS round_id,
          percentile_disc(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM ((v->>'resolvedAt')::timestamptz - (v->>'at')::timestamptz)) / 3600) AS response_hours_median,
          percentile_disc(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM ((v->>'resolvedAt')::timestamptz - (v->>'at')::timestamptz)) / 3600) AS response_hours_p90
        FROM ${docs("insight-rounds")} r, jsonb_array_elements(r.j->'reviews') v
        WHERE v ? 'resolvedAt' GROUP BY r.id
      )
      SELECT p.*, p.profit / NULLIF(p.orders, 0) AS profit_per_order,
        COALESCE(s.shipped_units, 0) AS shipped_units, COALESCE(rt.returned_units, 0) AS returned_units,
        rt.returned_units / NULLIF(s.shipped_units, 0) AS return_rate_units,
        rt.returned_value / NULLIF(s.shipped_value, 0) AS return_rate_value,
        s.days_to_ship_mean, s.days_to_ship_median,
        c.commenters, c.commenters_who_ordered,
        c.commenters_who_ordered::numeric / NULLIF(c.commenters, 0) AS buyer_conversion,
        c.comments_that_ordered::numeric / NULLIF(c.order_like_comments, 0) AS comment_conversion,
        v.response_hours_median, v.response_hours_p90
      FROM per_round p
      LEFT JOIN shipped s USING (round_id)
      LEFT JOIN returned rt USING (round_id)
      LEFT JOIN comments c USING (round_id)
      LEFT JOIN reviews v USING (round_id)`
  ]
}

/** Creates (or replaces) the views in the store's PostgreSQL database. */
export const install = (options: Options = {}): Effect.Effect<void, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    for (const s of statements(options)) yield* sql.unsafe(s)
  })
