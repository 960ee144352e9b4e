/**
 * Which channels and gateways `kaituan serve` mounts, from the environment (CLI.md). A channel or
 * gateway is mounted only when all its secrets are set; its routes answer 404 otherwise. The
 * adapters read their own variables through Effect `Config` (so `LINE_API_BASE`,
 * `TELEGRAM_API_BASE`, `FB_GRAPH_BASE`, `NEWEBPAY_ENV`, `ECPAY_NOTIFY_URL`… work as the packages
 * document), from the command's environment rather than `process.env`.
 */
import { FacebookChannel } from "@kaituan/adapters-facebook"
import { LineChannel } from "@kaituan/adapters-line"
import { TelegramChannel } from "@kaituan/adapters-telegram"
import type { ChannelAdapter, Invoicing, PaymentGateway } from "@kaituan/core"
import { EcpayInvoice } from "@kaituan/invoice-ecpay"
import { ECPay } from "@kaituan/payments-ecpay"
import { LinePay } from "@kaituan/payments-linepay"
import { NewebPay } from "@kaituan/payments-newebpay"
import { Cause, ConfigProvider, Effect, Exit } from "effect"
import { UsageError } from "../Io.js"

/** The channels the server knows, with their webhook routes. */
export const channelNames = ["line", "telegram", "facebook"] as const
export type ChannelName = (typeof channelNames)[number]

/** The gateways the server knows, with their callback routes. */
export const gatewayNames = ["newebpay", "ecpay", "linepay"] as const
export type GatewayName = (typeof gatewayNames)[number]

interface Spec<A> {
  readonly label: string
  readonly required: ReadonlyArray<string>
  readonly make: Effect.Effect<A, unknown>
}

const channelSpecs: Record<ChannelName, Spec<ChannelAdapter.ChannelAdapterService>> = {
  line: {
    label: "LINE",
    required: ["LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN"],
    make: Effect.flatMap(LineChannel.config, (c) => LineChannel.make(c))
  },
  telegram: {
    label: "Telegram",
    required: ["TELEGRAM_BOT_TOKEN", "TELEGRAM_SECRET_TOKEN"],
    make: TelegramChannel.makeConfig()
  },
  facebook: {
    label: "Facebook",
    required: ["FB_APP_SECRET", "FB_VERIFY_TOKEN", "FB_PAGE_ACCESS_TOKEN"],
    make: FacebookChannel.makeConfig()
  }
}

const gatewaySpecs: Record<GatewayName, Spec<PaymentGateway.PaymentGatewayService>> = {
  newebpay: {
    label: "NewebPay",
    required: ["NEWEBPAY_MERCHANT_ID", "NEWEBPAY_HASH_KEY", "NEWEBPAY_HASH_IV"],
    make: Effect.flatMap(NewebPay.config, NewebPay.make)
  },
  ecpay: {
    label: "ECPay",
    required: ["ECPAY_MERCHANT_ID", "ECPAY_HASH_KEY", "ECPAY_HASH_IV"],
    make: Effect.flatMap(ECPay.config, ECPay.make)
  },
  // LINE Pay's "callback" is the buyer coming back to GET /payments/linepay/notify (LinePayReturn.ts).
  linepay: {
    label: "LINE Pay",
    required: ["LINEPAY_CHANNEL_ID", "LINEPAY_CHANNEL_SECRET"],
    make: Effect.flatMap(LinePay.config, LinePay.make)
  }
}

/** What is mounted, and what is not and why (variable names only, never values). */
export interface Integrations {
  readonly channels: ReadonlyMap<ChannelName, ChannelAdapter.ChannelAdapterService>
  readonly gateways: ReadonlyMap<GatewayName, PaymentGateway.PaymentGatewayService>
  readonly disabled: ReadonlyArray<{
    readonly name: ChannelName | GatewayName | InvoicingName
    readonly label: string
    readonly missing: ReadonlyArray<string>
  }>
  /** The e-invoice service (電子發票), when its keys are set: invoices are issued through it. */
  readonly invoicing?: Invoicing.InvoicingService | undefined
}

/** The e-invoice vendors the server knows. */
export const invoicingNames = ["ecpay-invoice"] as const
export type InvoicingName = (typeof invoicingNames)[number]

// ECPay's e-invoice keys are not its payment keys (a merchant gets separate ones); its stage
// merchant is 2000132 / ejCk326UnaZWKisg / q9jcZX8Ib9LM8wYk with ECPAY_INVOICE_ENV=stage.
const invoicingSpecs: Record<InvoicingName, Spec<Invoicing.InvoicingService>> = {
  "ecpay-invoice": {
    label: "ECPay e-invoices",
    required: ["ECPAY_INVOICE_MERCHANT_ID", "ECPAY_INVOICE_HASH_KEY", "ECPAY_INVOICE_HASH_IV"],
    make: EcpayInvoice.makeConfig()
  }
}

/** Why a route is not mounted, for its 404 answer. */
export const notConfigured = (name: ChannelName | GatewayName): string => {
  const spec = name in channelSpecs ? channelSpecs[name as ChannelName] : gatewaySpecs[name as GatewayName]
  return `${spec.label} is not configured on this server: set ${spec.required.join(", ")}`
}

const build = <A>(spec: Spec<A>, provider: ConfigProvider.ConfigProvider): A => {
  const exit = Effect.runSyncExit(Effect.provideService(spec.make, ConfigProvider.ConfigProvider, provider))
  if (Exit.isSuccess(exit)) return exit.value
  const failure = Cause.findErrorOption(exit.cause)
  const detail =
    failure._tag === "Some"
      ? String((failure.value as { message?: unknown }).message ?? failure.value)
      : Cause.pretty(exit.cause)
  throw new UsageError(`cannot set up ${spec.label} from ${spec.required.join(", ")}: ${detail}`)
}

/** Builds the adapters and gateways whose secrets are all set in `env`. */
export const fromEnv = (env: Readonly<Record<string, string | undefined>>): Integrations => {
  const present = new Map(
    Object.entries(env).filter((e): e is [string, string] => typeof e[1] === "string" && e[1] !== "")
  )
  const provider = ConfigProvider.fromEnvRecord(Object.fromEntries(present))
  const disabled: Array<Integrations["disabled"][number]> = []
  /** Builds each integration whose variables are all present; notes the others in `disabled`. */
  const mount = <N extends ChannelName | GatewayName | InvoicingName, A>(
    names: ReadonlyArray<N>,
    specs: Record<N, Spec<A>>
  ) => {
    const mounted = new Map<N, A>()
    for (const name of names) {
      const spec = specs[name]
      const missing = spec.required.filter((k) => !present.has(k))
      if (missing.length > 0) disabled.push({ name, label: spec.label, missing })
      else mounted.set(name, build(spec, provider))
    }
    return mounted
  }
  const channels = mount(channelNames, channelSpecs)
  const gateways = mount(gatewayNames, gatewaySpecs)
  const invoicing = mount(invoicingNames, invoicingSpecs).get("ecpay-invoice")
  return { channels, gateways, disabled, ...(invoicing === undefined ? {} : { invoicing }) }
}
