import { useEffect, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Button } from '../components/ui'
import { recordingMimeType } from './audio'

interface Props {
  onRecorded: (recording: Blob) => void
  disabled: boolean
}

/** Record a voice message with the microphone (MediaRecorder, WebM/Opus). */
export function VoiceRecorder({ onRecorded, disabled }: Props) {
  const { t } = useTranslation()
  const [state, setState] = useState<'idle' | 'recording' | 'error'>('idle')
  const [seconds, setSeconds] = useState(0)
  const recorder = useRef<MediaRecorder | null>(null)
  const timer = useRef<ReturnType<typeof setInterval> | null>(null)

  useEffect(
    () => () => {
      if (timer.current) clearInterval(timer.current)
      recorder.current?.stream.getTracks().forEach((track) => track.stop())
    },
    [],
  )

  if (typeof MediaRecorder === 'undefined' || !navigator.mediaDevices?.getUserMedia) return null

  const start = async () => {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true })
      const mimeType = recordingMimeType()
      const media = new MediaRecorder(stream, mimeType ? { mimeType } : undefined)
      const chunks: Blob[] = []
      media.ondataavailable = (event) => event.data.size > 0 && chunks.push(event.data)
      media.onstop = () => {
        stream.getTracks().forEach((track) => track.stop())
        if (timer.current) clearInterval(timer.current)
        setState('idle')
        const blob = new Blob(chunks, { type: media.mimeType || 'audio/webm' })
        if (blob.size > 0) onRecorded(blob)
      }
      recorder.current = media
      media.start()
      setSeconds(0)
      timer.current = setInterval(() => setSeconds((s) => s + 1), 1000)
      setState('recording')
    } catch {
      setState('error')
    }
  }

  const stop = () => recorder.current?.state === 'recording' && recorder.current.stop()

  return (
    <div className="flex items-center gap-2">
      {state === 'recording' ? (
        <>
          <span role="status" className="text-sm">
            {t('voice.recordingFor', { count: seconds })}
          </span>
          <Button variant="danger" onClick={stop}>
            {t('voice.stopRecording')}
          </Button>
        </>
      ) : (
        <Button variant="secondary" onClick={() => void start()} disabled={disabled}>
          {t('voice.record')}
        </Button>
      )}
      {state === 'error' ? (
        <p role="alert" className="text-sm text-danger">
          {t('voice.noMicrophone')}
        </p>
      ) : null}
    </div>
  )
}
