/**
 * Reading a PDF back as a person would: poppler's `pdftotext` for the text, `pdftoppm` to render
 * every page to PNG, and jsQR to decode every QR code on the rendered pages.
 */
import { execFileSync } from "node:child_process"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import jsQR from "jsqr"
import { PNG } from "pngjs"

/** The PDF's text, page by page (form feeds split the pages), layout kept. */
export const pdfText = (bytes: Uint8Array): Array<string> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-pdf-"))
  try {
    const file = path.join(dir, "doc.pdf")
    fs.writeFileSync(file, bytes)
    const text = execFileSync("pdftotext", ["-layout", "-enc", "UTF-8", file, "-"], { encoding: "utf8" })
    return text.split("\f").slice(0, -1)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** The PDF's fonts as `pdffonts` lists them: name, type, embedded, subset. */
export const pdfFonts = (bytes: Uint8Array): Array<{ name: string; emb: boolean; sub: boolean }> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-pdf-"))
  try {
    const file = path.join(dir, "doc.pdf")
    fs.writeFileSync(file, bytes)
    const out = execFileSync("pdffonts", [file], { encoding: "utf8" })
      .split("\n")
      .slice(2)
      .filter((l) => l.trim())
    return out.map((l) => {
      const cols = l.trim().split(/\s+/)
      // name type… encoding emb sub uni object ID
      const n = cols.length
      return { name: cols[0]!, emb: cols[n - 5] === "yes", sub: cols[n - 4] === "yes" }
    })
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** A rendered page. */
export interface Page {
  readonly png: Buffer
  readonly width: number
  readonly height: number
  readonly data: Uint8ClampedArray
}

/** Every page rendered to PNG at `dpi`. */
export const renderPages = (bytes: Uint8Array, dpi = 150, keepIn?: string): Array<Page> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-pdf-"))
  try {
    const file = path.join(dir, "doc.pdf")
    fs.writeFileSync(file, bytes)
    execFileSync("pdftoppm", ["-r", String(dpi), "-png", file, path.join(dir, "page")])
    const pages = fs
      .readdirSync(dir)
      .filter((f) => f.startsWith("page") && f.endsWith(".png"))
      .sort()
    return pages.map((f) => {
      const png = fs.readFileSync(path.join(dir, f))
      if (keepIn !== undefined) fs.copyFileSync(path.join(dir, f), path.join(keepIn, f))
      const img = PNG.sync.read(png)
      return { png, width: img.width, height: img.height, data: new Uint8ClampedArray(img.data) }
    })
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Crops a region of a page (pixels). */
const crop = (page: Page, x: number, y: number, w: number, h: number) => {
  const x0 = Math.max(0, Math.floor(x))
  const y0 = Math.max(0, Math.floor(y))
  const cw = Math.min(page.width - x0, Math.floor(w))
  const ch = Math.min(page.height - y0, Math.floor(h))
  const data = new Uint8ClampedArray(cw * ch * 4)
  for (let r = 0; r < ch; r++)
    data.set(page.data.subarray(((y0 + r) * page.width + x0) * 4, ((y0 + r) * page.width + x0 + cw) * 4), r * cw * 4)
  return { data, width: cw, height: ch }
}

/**
 * Every QR code on a page: the page is cut into `cols` × `rows` regions (the slips), each
 * decoded with jsQR. Returns the decoded texts in reading order (regions with no code are skipped).
 */
export const decodeQrs = (page: Page, cols: number, rows: number): Array<string> => {
  const out: Array<string> = []
  const w = page.width / cols
  const h = page.height / rows
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const region = crop(page, c * w, r * h, w, h)
      const code = jsQR(region.data, region.width, region.height)
      if (code !== null) out.push(code.data)
    }
  return out
}

/** The text of a region of one page (points from the top left; 1-based page). */
export const pdfTextIn = (bytes: Uint8Array, page: number, x: number, y: number, w: number, h: number): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-pdf-"))
  try {
    const file = path.join(dir, "doc.pdf")
    fs.writeFileSync(file, bytes)
    const args = [
      "-f",
      String(page),
      "-l",
      String(page),
      "-r",
      "72",
      "-x",
      String(Math.floor(x)),
      "-y",
      String(Math.floor(y))
    ]
    args.push("-W", String(Math.floor(w)), "-H", String(Math.floor(h)), "-layout", "-enc", "UTF-8", file, "-")
    return execFileSync("pdftotext", args, { encoding: "utf8" })
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
