/**
 * Meet-up pickup (面交): type the code the buyer shows, or scan their QR code with the camera
 * (the `BarcodeDetector` API where the browser has it; elsewhere, Safari and Firefox, the video
 * frames are decoded with jsQR, loaded only then; the button is there whenever a camera can be
 * asked for), see whose order it is, and confirm. Five wrong codes lock it; the organiser unlocks
 * it (a helper is told to ask them).
 */
import { useEffect, useRef, useState } from "preact/hooks"
import type { Pickup, PickupDone } from "../api.js"
import { seg } from "../api.js"
import { money } from "../format.js"
import type { Key } from "../i18n.js"
import { Badge, Field, PageTitle, Result, tr, useAction, useApp, valueOf } from "../ui.js"

interface Detector {
  detect(source: CanvasImageSource): Promise<ReadonlyArray<{ readonly rawValue: string }>>
}
type DetectorClass = new (options: { formats: ReadonlyArray<string> }) => Detector

const detectorClass = (): DetectorClass | undefined =>
  (globalThis as unknown as { BarcodeDetector?: DetectorClass }).BarcodeDetector

/** A scanned value to a code: the code itself, or a link carrying it as `?code=`. */
export const codeOf = (raw: string): string => {
  const s = raw.trim()
  try {
    const fromUrl = new URL(s).searchParams.get("code")
    if (fromUrl !== null) return fromUrl
  } catch {}
  return s
}

export const PickupPage = (props: { readonly initialCode: string }) => {
  const { t, api, can, lang } = useApp()
  const [code, setCode] = useState(props.initialCode)
  const [pickup, setPickup] = useState<Pickup>()
  const find = useAction()
  const confirm = useAction()
  const [scanning, setScanning] = useState(false)
  const canScan = navigator.mediaDevices?.getUserMedia !== undefined

  const lookup = async (value: string) => {
    const c = codeOf(value)
    setCode(c)
    setPickup(undefined)
    confirm.clear()
    if (c === "") return
    const p = await find.run(() => api.get<Pickup>("/pickups", { code: c }))
    if (p !== undefined) setPickup(p)
  }

  useEffect(() => {
    if (props.initialCode !== "") lookup(props.initialCode)
  }, [])

  const doConfirm = async () => {
    if (pickup === undefined) return
    const done = await confirm.run(
      () => api.post<PickupDone>(`/pickups/${seg(pickup.shipmentId)}/confirm`, { code }),
      () => t("pickup.confirmed")
    )
    if (done !== undefined) setPickup({ ...pickup, status: done.status })
    else {
      const again = await api.get<Pickup>("/pickups", { code }).catch(() => undefined)
      if (again !== undefined) setPickup(again)
    }
  }

  const unlock = async () => {
    if (pickup === undefined) return
    const done = await confirm.run(
      () => api.post<PickupDone>(`/pickups/${seg(pickup.shipmentId)}/unlock`),
      () => t("pickup.unlocked")
    )
    if (done !== undefined) setPickup({ ...pickup, locked: false, failedAttempts: 0, status: done.status })
  }

  return (
    <>
      <PageTitle sub={t("pickup.intro")}>{t("pickup.title")}</PageTitle>
      <form
        class="search"
        onSubmit={(e) => {
          e.preventDefault()
          lookup(code)
        }}
      >
        <Field label={t("pickup.code")} class="grow">
          <input
            name="code"
            value={code}
            autocomplete="off"
            autocapitalize="characters"
            spellcheck={false}
            class="mono code-input"
            onInput={(e) => setCode(valueOf(e))}
          />
        </Field>
        <button type="submit" class="primary" disabled={find.busy}>
          {t("pickup.find")}
        </button>
        {canScan ? (
          <button type="button" class="secondary" aria-pressed={scanning} onClick={() => setScanning(!scanning)}>
            {scanning ? t("pickup.stopScan") : t("pickup.scan")}
          </button>
        ) : null}
      </form>
      {scanning ? (
        <Scanner
          onCode={(value) => {
            setScanning(false)
            lookup(value)
          }}
        />
      ) : null}
      <Result result={find.result} />
      {pickup === undefined ? null : (
        <section class="panel pickup" aria-labelledby="pickup-found" data-shipment-id={pickup.shipmentId}>
          <div class="card-head">
            <h2 id="pickup-found">{pickup.order?.buyer.name ?? t("pickup.found")}</h2>
            <Badge tone={pickup.status === "picked-up" ? "green" : pickup.locked ? "red" : "amber"}>
              {tr(t, `pickup.status.${pickup.status}`, pickup.status)}
            </Badge>
          </div>
          <ul class="plain">
            {pickup.lines.map((l) => (
              <li key={l.sku} class="line big">
                <span class="mono">{l.sku}</span> × {l.qty}
              </li>
            ))}
          </ul>
          {pickup.order === undefined ? null : (
            <p class="muted small">
              {t("orders.orderId", { id: pickup.order.orderId })} · {money(lang, pickup.order.total)} ·{" "}
              {t(`status.${pickup.order.status}` as Key)}
            </p>
          )}
          {pickup.locked ? (
            <p class="notice error" role="alert" data-locked="true">
              {t("pickup.locked", { n: pickup.failedAttempts })}
              {can("pickups.unlock") ? null : ` ${t("pickup.askOrganiser")}`}
            </p>
          ) : null}
          <Result result={confirm.result} />
          <div class="actions">
            {pickup.status === "picked-up" ? (
              <p class="notice ok">{t("pickup.pickedUp")}</p>
            ) : (
              <button type="button" class="primary big" disabled={confirm.busy || pickup.locked} onClick={doConfirm}>
                {t("pickup.confirm")}
              </button>
            )}
            {pickup.locked && can("pickups.unlock") ? (
              <button type="button" class="secondary" disabled={confirm.busy} onClick={unlock}>
                {t("pickup.unlock")}
              </button>
            ) : null}
          </div>
        </section>
      )}
      <p class="muted small">{t("pickup.toShip")}</p>
    </>
  )
}

/** Decodes one video frame: the QR code's text, or undefined. */
type FrameDecoder = (video: HTMLVideoElement) => Promise<string | undefined>

/** The browser's `BarcodeDetector`. */
const nativeDecoder = (Detector: DetectorClass): FrameDecoder => {
  const detector = new Detector({ formats: ["qr_code"] })
  return async (video) => (await detector.detect(video))[0]?.rawValue
}

/** jsQR (npm) over the frame drawn on a canvas, at most 640 px wide. */
const jsqrDecoder = async (): Promise<FrameDecoder> => {
  const { default: jsQR } = await import("jsqr")
  const canvas = document.createElement("canvas")
  const context = canvas.getContext("2d", { willReadFrequently: true })
  return async (video) => {
    if (context === null || video.videoWidth === 0) return undefined
    const scale = Math.min(1, 640 / video.videoWidth)
    canvas.width = Math.round(video.videoWidth * scale)
    canvas.height = Math.round(video.videoHeight * scale)
    context.drawImage(video, 0, 0, canvas.width, canvas.height)
    const frame = context.getImageData(0, 0, canvas.width, canvas.height)
    return jsQR(frame.data, frame.width, frame.height, { inversionAttempts: "dontInvert" })?.data
  }
}

const Scanner = (props: { readonly onCode: (value: string) => void }) => {
  const { t } = useApp()
  const video = useRef<HTMLVideoElement>(null)
  const [error, setError] = useState<string>()
  useEffect(() => {
    const Detector = detectorClass()
    let stream: MediaStream | undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    let live = true
    let decode: FrameDecoder | undefined
    const tick = async () => {
      if (!live || video.current === null || decode === undefined) return
      try {
        const found = await decode(video.current)
        if (found !== undefined && found !== "" && live) {
          props.onCode(found)
          return
        }
      } catch {
        // a frame that is not ready yet
      }
      timer = setTimeout(tick, 250)
    }
    ;(Detector === undefined ? jsqrDecoder() : Promise.resolve(nativeDecoder(Detector)))
      .then(async (d) => {
        decode = d
        const s = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        stream = s
        if (!live || video.current === null) return
        video.current.srcObject = s
        await video.current.play()
        tick()
      })
      .catch((e: unknown) => setError(t("pickup.cameraError", { message: e instanceof Error ? e.message : String(e) })))
    return () => {
      live = false
      if (timer !== undefined) clearTimeout(timer)
      for (const track of stream?.getTracks() ?? []) track.stop()
    }
  }, [])
  return (
    <div class="scanner">
      {error === undefined ? <p class="muted">{t("pickup.scanning")}</p> : <p class="notice error">{error}</p>}
      <video ref={video} muted playsInline class="scanner-video" />
    </div>
  )
}
