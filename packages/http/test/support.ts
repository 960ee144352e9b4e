/**
 * The API served on a real port (node:http in front of the web handler) over memory or a SQLite
 * file, with an organiser and a helper token, and a runtime sharing the server's services to seed
 * rounds and look at what changed.
 */
import fs from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import os from "node:os"
import path from "node:path"
import { GroupBuy, IdGenerator, type ReadModels, type RoundSpec, Storage } from "@kaituan/core"
import { Parser } from "@kaituan/parser"
import { Database } from "@kaituan/storage-sql"
import { type Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { Server, Tokens, WebHandler } from "../src/index.js"

export type Kind = "memory" | "sqlite"
export const kinds: ReadonlyArray<Kind> = ["memory", "sqlite"]

export interface Served {
  readonly url: string
  readonly organiser: string
  readonly helper: string
  readonly run: <A, E>(effect: Effect.Effect<A, E, Server.Services>) => Promise<A>
  /** fetch relative to the server, with a token (or none). */
  readonly call: (
    method: string,
    pathname: string,
    options?: { token?: string | null; json?: unknown; body?: RequestInit["body"]; headers?: Record<string, string> }
  ) => Promise<{ status: number; body: any; text: string; headers: Headers }>
  readonly close: () => Promise<void>
}

const storageFor = (kind: Kind, dir: string, readModels?: ReadonlyArray<ReadModels.Definition<any>>) =>
  readModels === undefined
    ? kind === "memory"
      ? Storage.layerMemory
      : Database.layerFromUrl(path.join(dir, "kaituan.db"))
    : kind === "memory"
      ? Storage.layerMemoryWith({ readModels })
      : Database.layerFromUrl(path.join(dir, "kaituan.db"), { readModels })

/** Starts the API on a free port (with `extra` services in the app: an `Invoicing`, say). */
export const serve = async (
  kind: Kind,
  options: Server.Options = {},
  /** The store's read models (default: the built-in ones). */
  readModels?: ReadonlyArray<ReadModels.Definition<any>>,
  extra: Layer.Layer<never> | Layer.Layer<any, any> = Layer.empty
): Promise<Served> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-http-"))
  const app = Server.layerServices.pipe(
    Layer.provideMerge(GroupBuy.layer),
    Layer.provideMerge(Layer.mergeAll(storageFor(kind, dir, readModels), Parser.layer, IdGenerator.layerNanoid, extra))
  ) as Layer.Layer<Server.Services>
  const runtime = ManagedRuntime.make(app)
  const context = await runtime.context()
  const api = WebHandler.make(Layer.succeedContext(context), options)
  const server = createServer(WebHandler.toNodeListener(api.handler))
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const run = <A, E>(effect: Effect.Effect<A, E, Server.Services>) => runtime.runPromise(effect)
  const tokens = await run(Tokens.Tokens.use((t) => t.create({ role: "organiser", label: "test organiser" })))
  const helpers = await run(Tokens.Tokens.use((t) => t.create({ role: "helper", label: "test helper" })))
  const organiser = Redacted.value(tokens.token)
  const helper = Redacted.value(helpers.token)
  const call: Served["call"] = async (method, pathname, o = {}) => {
    const token = o.token === undefined ? organiser : o.token
    const headers: Record<string, string> = { ...(o.headers ?? {}) }
    if (token !== null) headers.authorization = `Bearer ${token}`
    let body = o.body
    if (o.json !== undefined) {
      body = JSON.stringify(o.json)
      headers["content-type"] ??= "application/json"
    }
    const res = await fetch(`${url}${pathname}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body, duplex: "half" })
    } as RequestInit)
    const text = await res.text()
    let parsed: unknown
    try {
      parsed = text === "" ? undefined : JSON.parse(text)
    } catch {
      parsed = undefined
    }
    return { status: res.status, body: parsed, text, headers: res.headers }
  }
  return {
    url,
    organiser,
    helper,
    run,
    call,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await api.dispose()
      await runtime.dispose()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** A round file with stock, a pre-order and an unlimited product. */
export const roundFile = (id: string, extra: Record<string, unknown> = {}): RoundSpec.RoundSpecInput =>
  ({
    id,
    title: "韓國毛襪",
    products: [
      {
        sku: "SOCK",
        name: "韓國毛襪",
        aliases: ["毛襪"],
        price: 120,
        options: { 顏色: { 紅: ["紅色"], 白: ["白色"] } },
        variants: [
          { sku: "SOCK-R", options: { 顏色: "紅" }, stock: 500 },
          { sku: "SOCK-W", options: { 顏色: "白" }, stock: 500, price: 130 }
        ]
      },
      { sku: "CUP", name: "保溫杯", price: 450 }
    ],
    ...extra
  }) as RoundSpec.RoundSpecInput

/** Now plus `ms`, ISO: comments must come after their round opened. */
export const soon = (ms = 0): string => new Date(Date.now() + ms).toISOString()

/** Comments from `n` buyers: each orders red socks (`紅+1`), every third a cup too. */
export const comments = (n: number, from = 0): Array<GroupBuy.CommentInput> => {
  const start = Date.now() + 1
  return Array.from({ length: n }, (_, k) => {
    const i = from + k
    return {
      channel: "line",
      commentId: `c${i}`,
      author: { id: `U${i}`, name: `買家${i}` },
      text: i % 3 === 0 ? "紅+1 保溫杯+1" : "紅+1",
      at: new Date(start + k).toISOString()
    }
  })
}
