/**
 * The organiser's insight settings as an aggregate (one stream, {@link stream}): unit costs per
 * SKU, shipping cost per delivery method, fee rates per gateway or payment source, product
 * categories, fixed and marketing costs per round or month, and the leaders (團長) with their
 * pickup point, region, commission rate and the channel conversations they own.
 *
 * The decider is pure; {@link load} and {@link execute} run it against storage.
 *
 * ```ts
 * yield* InsightSettings.execute({ _tag: "SetShippingCost", method: "cvs", cost: 60, at })
 * const settings = yield* InsightSettings.load
 * ```
 *
 * @since 0.4.0
 */
import { Effect, Result, Schema } from "effect"
import { match } from "ts-pattern"
import * as CommandHandler from "./CommandHandler.js"
import * as Decider from "./Decider.js"
import { emptySettings, Leader, PeriodCost, type Settings } from "./Insights.js"
import { Storage, type StorageError } from "./Storage.js"

/** The stream the settings live on. */
export const stream = "settings:insights"

const Money = Schema.Number.check(Schema.isFinite(), Schema.isGreaterThanOrEqualTo(0))
const Rate = Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))
const Key = Schema.String.check(Schema.isMinLength(1))

/** The unit cost of a SKU was set (overrides the round file's `cost`). */
export const UnitCostSet = Schema.TaggedStruct("UnitCostSet", { sku: Key, cost: Money, at: Schema.String })
/** The cost of one delivery by a method (`home`, `cvs`, `pickup`) was set. */
export const ShippingCostSet = Schema.TaggedStruct("ShippingCostSet", { method: Key, cost: Money, at: Schema.String })
/** The fee rate of a gateway (`ecpay`) or a payment source (`gateway`, `statement`, `cash`) was set. */
export const FeeRateSet = Schema.TaggedStruct("FeeRateSet", { key: Key, rate: Rate, at: Schema.String })
/** A product (its SKU) was put in a category. */
export const CategorySet = Schema.TaggedStruct("CategorySet", { product: Key, category: Key, at: Schema.String })
/** A fixed or marketing cost was set (added, or replaced by id). */
export const CostSet = Schema.TaggedStruct("CostSet", { cost: PeriodCost, at: Schema.String })
/** A cost was removed. */
export const CostRemoved = Schema.TaggedStruct("CostRemoved", { id: Key, at: Schema.String })
/** A leader was set (added, or replaced by id). */
export const LeaderSet = Schema.TaggedStruct("LeaderSet", { leader: Leader, at: Schema.String })
/** A leader was removed (their conversations' orders are no longer attributed). */
export const LeaderRemoved = Schema.TaggedStruct("LeaderRemoved", { id: Key, at: Schema.String })

/** Every settings event. */
export const Event = Schema.Union([
  UnitCostSet,
  ShippingCostSet,
  FeeRateSet,
  CategorySet,
  CostSet,
  CostRemoved,
  LeaderSet,
  LeaderRemoved
])
/** Every settings event. */
export type Event = typeof Event.Type

/** What can be asked of the settings (the command's fields are its event's). */
export const Command = Schema.Union([
  Schema.TaggedStruct("SetUnitCost", { sku: Key, cost: Money, at: Schema.String }),
  Schema.TaggedStruct("SetShippingCost", { method: Key, cost: Money, at: Schema.String }),
  Schema.TaggedStruct("SetFeeRate", { key: Key, rate: Rate, at: Schema.String }),
  Schema.TaggedStruct("SetCategory", { product: Key, category: Key, at: Schema.String }),
  Schema.TaggedStruct("SetCost", { cost: PeriodCost, at: Schema.String }),
  Schema.TaggedStruct("RemoveCost", { id: Key, at: Schema.String }),
  Schema.TaggedStruct("SetLeader", { leader: Leader, at: Schema.String }),
  Schema.TaggedStruct("RemoveLeader", { id: Key, at: Schema.String })
])
/** What can be asked of the settings. */
export type Command = typeof Command.Type

/** Why a settings command was refused. */
export class InsightSettingsError extends Schema.TaggedError<InsightSettingsError>()("InsightSettingsError", {
  reason: Schema.Literals(["invalid", "unknown-cost", "unknown-leader", "conversation-taken"]),
  message: Schema.String
}) {}

/** The state: the settings. */
export type State = Settings

type Decided = Result.Result<ReadonlyArray<Event>, InsightSettingsError>
const ok = (events: ReadonlyArray<Event>): Decided => Result.succeed(events)
const refuse = (reason: InsightSettingsError["reason"], message: string): Decided =>
  Result.fail(new InsightSettingsError({ reason, message }))

const encodeCost = Schema.encodeSync(PeriodCost)
const encodeLeader = Schema.encodeSync(Leader)
/** Whether a stored cost or leader is the one given (compared by their encoded JSON). */
const sameJson = (a: PeriodCost | Leader | undefined, b: PeriodCost | Leader): boolean =>
  a !== undefined &&
  ("kind" in a && "kind" in b
    ? JSON.stringify(encodeCost(a)) === JSON.stringify(encodeCost(b))
    : "region" in a && "region" in b && JSON.stringify(encodeLeader(a)) === JSON.stringify(encodeLeader(b)))

/**
 * A settings file (`kaituan report --settings FILE.json`): the {@link Settings} fields, each
 * optional.
 */
export const File = Schema.Struct({
  unitCosts: Schema.optional(Schema.Record(Schema.String, Money)),
  shippingCosts: Schema.optional(Schema.Record(Schema.String, Money)),
  feeRates: Schema.optional(Schema.Record(Schema.String, Rate)),
  categories: Schema.optional(Schema.Record(Schema.String, Schema.String)),
  costs: Schema.optional(Schema.Array(PeriodCost)),
  leaders: Schema.optional(Schema.Array(Leader))
})
/** See {@link File}. */
export type File = typeof File.Type

/**
 * The commands that make the settings `settings` (added or replaced; nothing is removed): what
 * `kaituan report --settings FILE` applies. Commands that change nothing decide no events.
 */
export const commandsFor = (file: File, at: string): Array<Command> => {
  const settings: Settings = {
    unitCosts: file.unitCosts ?? {},
    shippingCosts: file.shippingCosts ?? {},
    feeRates: file.feeRates ?? {},
    categories: file.categories ?? {},
    costs: file.costs ?? [],
    leaders: file.leaders ?? []
  }
  return [
    ...Object.entries(settings.unitCosts).map(([sku, cost]) => ({ _tag: "SetUnitCost" as const, sku, cost, at })),
    ...Object.entries(settings.shippingCosts).map(([method, cost]) => ({
      _tag: "SetShippingCost" as const,
      method,
      cost,
      at
    })),
    ...Object.entries(settings.feeRates).map(([key, rate]) => ({ _tag: "SetFeeRate" as const, key, rate, at })),
    ...Object.entries(settings.categories).map(([product, category]) => ({
      _tag: "SetCategory" as const,
      product,
      category,
      at
    })),
    ...settings.costs.map((cost) => ({ _tag: "SetCost" as const, cost, at })),
    ...settings.leaders.map((leader) => ({ _tag: "SetLeader" as const, leader, at }))
  ]
}

const decodeCommand = Schema.decodeUnknownResult(Command)

/** The settings decider (pure). A command that changes nothing decides no events. */
export const decider: Decider.Decider<Command, State, Event, InsightSettingsError> = Decider.make<
  Command,
  State,
  Event,
  InsightSettingsError
>({
  initialState: emptySettings,
  decide: (raw, state) => {
    const decoded = decodeCommand(raw)
    if (Result.isFailure(decoded)) return refuse("invalid", decoded.failure.message)
    const command = decoded.success
    return match(command)
      .with({ _tag: "SetUnitCost" }, (c) =>
        ok(state.unitCosts[c.sku] === c.cost ? [] : [UnitCostSet.make({ sku: c.sku, cost: c.cost, at: c.at })])
      )
      .with({ _tag: "SetShippingCost" }, (c) =>
        ok(
          state.shippingCosts[c.method] === c.cost
            ? []
            : [ShippingCostSet.make({ method: c.method, cost: c.cost, at: c.at })]
        )
      )
      .with({ _tag: "SetFeeRate" }, (c) =>
        ok(state.feeRates[c.key] === c.rate ? [] : [FeeRateSet.make({ key: c.key, rate: c.rate, at: c.at })])
      )
      .with({ _tag: "SetCategory" }, (c) =>
        ok(
          state.categories[c.product] === c.category
            ? []
            : [CategorySet.make({ product: c.product, category: c.category, at: c.at })]
        )
      )
      .with({ _tag: "SetCost" }, (c) =>
        ok(
          sameJson(
            state.costs.find((x) => x.id === c.cost.id),
            c.cost
          )
            ? []
            : [CostSet.make({ cost: c.cost, at: c.at })]
        )
      )
      .with({ _tag: "RemoveCost" }, (c) =>
        state.costs.some((x) => x.id === c.id)
          ? ok([CostRemoved.make({ id: c.id, at: c.at })])
          : refuse("unknown-cost", `no cost "${c.id}"`)
      )
      .with({ _tag: "SetLeader" }, (c) => {
        const taken = c.leader.conversations.find((conv) =>
          state.leaders.some(
            (l) =>
              l.id !== c.leader.id &&
              l.conversations.some((x) => x.channel === conv.channel && x.conversation === conv.conversation)
          )
        )
        return taken !== undefined
          ? refuse(
              "conversation-taken",
              `conversation ${taken.channel}/${taken.conversation} belongs to another leader`
            )
          : sameJson(
                state.leaders.find((l) => l.id === c.leader.id),
                c.leader
              )
            ? ok([])
            : ok([LeaderSet.make({ leader: c.leader, at: c.at })])
      })
      .with({ _tag: "RemoveLeader" }, (c) =>
        state.leaders.some((x) => x.id === c.id)
          ? ok([LeaderRemoved.make({ id: c.id, at: c.at })])
          : refuse("unknown-leader", `no leader "${c.id}"`)
      )
      .exhaustive()
  },
  evolve: (state: State, event: Event): State =>
    match(event)
      .with({ _tag: "UnitCostSet" }, (e) => ({ ...state, unitCosts: { ...state.unitCosts, [e.sku]: e.cost } }))
      .with({ _tag: "ShippingCostSet" }, (e) => ({
        ...state,
        shippingCosts: { ...state.shippingCosts, [e.method]: e.cost }
      }))
      .with({ _tag: "FeeRateSet" }, (e) => ({ ...state, feeRates: { ...state.feeRates, [e.key]: e.rate } }))
      .with({ _tag: "CategorySet" }, (e) => ({
        ...state,
        categories: { ...state.categories, [e.product]: e.category }
      }))
      .with({ _tag: "CostSet" }, (e) => ({
        ...state,
        costs: [...state.costs.filter((c) => c.id !== e.cost.id), e.cost]
      }))
      .with({ _tag: "CostRemoved" }, (e) => ({ ...state, costs: state.costs.filter((c) => c.id !== e.id) }))
      .with({ _tag: "LeaderSet" }, (e) => ({
        ...state,
        leaders: [...state.leaders.filter((l) => l.id !== e.leader.id), e.leader]
      }))
      .with({ _tag: "LeaderRemoved" }, (e) => ({ ...state, leaders: state.leaders.filter((l) => l.id !== e.id) }))
      .exhaustive()
})

const aggregate = CommandHandler.aggregate(decider, Schema.decodeUnknownSync(Event))

/** The settings as stored now. */
export const load: Effect.Effect<Settings, StorageError, Storage> = Effect.flatMap(Storage, (s) =>
  Effect.map(CommandHandler.load(s, aggregate, stream), (l) => l.state)
)

/** Runs a settings command: the settings after it, or why it was refused. */
export const execute = (command: Command): Effect.Effect<Settings, InsightSettingsError | StorageError, Storage> =>
  Effect.flatMap(Storage, (s) =>
    Effect.flatMap(CommandHandler.handle(s, aggregate, { stream, command, at: command.at }), (o) =>
      o._tag === "Duplicate" ? load : Effect.succeed(o.state)
    )
  )
