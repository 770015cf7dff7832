import { useEffect, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Button, ErrorText, FileButton } from '../components/ui'

interface Props {
  /** Try a code; resolves true when it signed in (false: keep the camera scanning). */
  onCode: (text: string) => Promise<boolean>
  busy: boolean
}

type Controls = { stop: () => void }

/** A QR reader; `harder` for single pictures (slower per try, so not for the camera,
 *  which tries a frame every half second). */
async function reader(harder = false) {
  const [{ BrowserQRCodeReader }, { DecodeHintType }] = await Promise.all([import('@zxing/browser'), import('@zxing/library')])
  return new BrowserQRCodeReader(harder ? new Map([[DecodeHintType.TRY_HARDER, true]]) : undefined)
}

/** Read the code from a picture: as it is, then scaled up on white (small screenshots
 *  of dense codes blur at their own size). */
async function decodePicture(url: string): Promise<string> {
  const qr = await reader(true)
  try {
    return (await qr.decodeFromImageUrl(url)).getText()
  } catch {
    const image = new Image()
    image.src = url
    await image.decode()
    for (const scale of [2, 3, 0.5]) {
      const canvas = document.createElement('canvas')
      canvas.width = Math.round(image.naturalWidth * scale) + 64
      canvas.height = Math.round(image.naturalHeight * scale) + 64
      const ctx = canvas.getContext('2d')!
      ctx.imageSmoothingEnabled = scale < 1
      ctx.fillStyle = '#fff'
      ctx.fillRect(0, 0, canvas.width, canvas.height)
      ctx.drawImage(image, 32, 32, canvas.width - 64, canvas.height - 64)
      try {
        return qr.decodeFromCanvas(canvas).getText()
      } catch {
        // next size
      }
    }
    throw new Error('no QR code found')
  }
}

/** Read a sign-in QR code with the camera, or from a photo of it. */
export function QrScanner({ onCode, busy }: Props) {
  const { t } = useTranslation()
  const video = useRef<HTMLVideoElement | null>(null)
  const controls = useRef<Controls | null>(null)
  const [scanning, setScanning] = useState(false)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => () => controls.current?.stop(), [])

  const stop = () => {
    controls.current?.stop()
    controls.current = null
    setScanning(false)
  }

  const startCamera = async () => {
    setError(null)
    try {
      const qr = await reader()
      setScanning(true)
      // Keep scanning until a code signs in: a frame read wrongly, or an old code still
      // in view, is skipped and the next frames are tried.
      let trying = false
      let done = false
      const refused = new Set<string>()
      controls.current = await qr.decodeFromVideoDevice(undefined, video.current!, (result, _err, ctl) => {
        const text = result?.getText()
        if (!text || trying || done || refused.has(text)) return
        trying = true
        void onCode(text).then((ok) => {
          trying = false
          if (ok) {
            done = true
            ctl.stop()
            setScanning(false)
          } else refused.add(text)
        })
      })
    } catch {
      setScanning(false)
      setError(t('qr.noCamera'))
    }
  }

  const fromFile = async (file: File) => {
    setError(null)
    const url = URL.createObjectURL(file)
    try {
      await onCode(await decodePicture(url))
    } catch {
      setError(t('qr.unreadable'))
    } finally {
      URL.revokeObjectURL(url)
    }
  }

  return (
    <div className="flex flex-col gap-3">
      <div className="flex flex-wrap gap-2">
        {scanning ? (
          <Button variant="secondary" onClick={stop}>
            {t('qr.stopCamera')}
          </Button>
        ) : (
          <Button onClick={() => void startCamera()} disabled={busy}>
            {t('qr.scanCamera')}
          </Button>
        )}
        <FileButton
          label={t('qr.upload')}
          accept="image/*"
          disabled={busy}
          onFile={(file) => void fromFile(file)}
        />
      </div>
      <video
        ref={video}
        muted
        playsInline
        aria-label={t('qr.cameraView')}
        className={scanning ? 'w-full max-w-sm rounded-lg border border-border' : 'hidden'}
      />
      <ErrorText>{error}</ErrorText>
    </div>
  )
}
