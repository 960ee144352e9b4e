/** Readable tables for people, aware of the width of Chinese characters. */
import stringWidth from "string-width"

const pad = (s: string, width: number, right: boolean) => {
  const gap = " ".repeat(Math.max(0, width - stringWidth(s)))
  return right ? gap + s : s + gap
}

/** Renders rows under headers; numeric columns are right-aligned. */
export const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string | number>>): string => {
  const cells = rows.map((r) => r.map((c) => String(c)))
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number"))
  const widths = headers.map((h, i) => Math.max(stringWidth(h), ...cells.map((r) => stringWidth(r[i] ?? ""))))
  const line = (r: ReadonlyArray<string>) =>
    r
      .map((c, i) => pad(c, widths[i]!, numeric[i]!))
      .join("  ")
      .trimEnd()
  return [line(headers), widths.map((w) => "─".repeat(w)).join("  "), ...cells.map(line)].join("\n")
}
