/** Chat-export importers for `round replay`, from the channel adapters. */
import type { GroupBuy, RoundSpec } from "@kaituan/core"
import type { Format } from "./Comments.js"
import { UsageError } from "./Io.js"

type Importer = (path: string, text: string, spec: RoundSpec.RoundSpec) => Array<GroupBuy.CommentInput>

const notYet = (format: string): Importer => (path) => {
  throw new UsageError(`${path}: the ${format} importer is not available in this build`)
}

export const importers: Record<Exclude<Format, "jsonl">, Importer> = {
  "line-export": notYet("line-export"),
  "telegram-export": notYet("telegram-export"),
  "facebook-comments": notYet("facebook-comments")
}
