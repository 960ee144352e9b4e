/**
 * Shared by the child-process scripts: the Storage for a `--db` value and table prefix, the
 * GroupBuy use cases over it, and a tiny "+N" comment parser (one SKU) so the tests do not depend
 * on @kaituan/parser.
 */
import { CommentParser, GroupBuy, IdGenerator, type ParseResult, type Storage } from "@kaituan/core"
import { Layer } from "effect"
import { Database } from "../../src/index.js"

/** `+N` orders N of the round's first SKU; anything else is chatter. */
export const plusParser: CommentParser.CommentParserService = {
  compile: ({ catalogue }) => {
    const sku = [...catalogue.bySku.keys()][0] ?? null
    return {
      parse: (text): ParseResult.ParseResult => {
        const m = /^\+(\d+)$/.exec(text.trim())
        return m && sku
          ? { intent: "order", lines: [{ sku, qty: Number(m[1]) }], reason: "marker +N", spans: [] }
          : { intent: "none", lines: [], reason: "no marker", spans: [] }
      }
    }
  }
}

export const storageLayer = (db: string, prefix: string): Layer.Layer<Storage.Storage, Storage.StorageError> =>
  Database.layerFromUrl(db, { tablePrefix: prefix, maxConnections: 2 })

export const groupBuyLayer = (storage: Layer.Layer<Storage.Storage, Storage.StorageError>) =>
  Layer.provideMerge(GroupBuy.layer, Layer.mergeAll(storage, CommentParser.layer(plusParser), IdGenerator.layerNanoid))

/** Waits for a line "go" on stdin (so several processes start at the same moment). */
export const waitForGo = () =>
  new Promise<void>((resolve) => {
    let buf = ""
    process.stdin.setEncoding("utf8")
    process.stdin.on("data", (chunk: string) => {
      buf += chunk
      if (buf.includes("go")) {
        process.stdin.pause()
        resolve()
      }
    })
  })

/**
 * Writes one line to stdout and waits until it is flushed to the pipe. (`write` returning `true`
 * only means the line is buffered: a pipe's writes can be asynchronous, and `process.exit` right
 * after would drop what is still buffered; the write callback runs once the line is handed over.)
 */
export const say = (line: string) =>
  new Promise<void>((resolve, reject) => {
    process.stdout.write(`${line}\n`, (error) => (error ? reject(error) : resolve()))
  })
