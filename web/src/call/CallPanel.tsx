import { useEffect, useId, useRef, useState } from 'react'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { ApiError, request } from '../api/client'
import { describeError } from '../api/errors'
import { useAuth } from '../auth/AuthProvider'
import { CrisisBanner } from '../chat/crisis'
import { Button, Checkbox, ErrorText } from '../components/ui'
import { MicrophoneUnavailable, startCall, type CallEvent, type LiveCall } from './connection'

type Phase = 'idle' | 'connecting' | 'listening' | 'thinking' | 'speaking' | 'ended'

interface Line {
  who: 'you' | 'companion'
  text: string
  interrupted?: boolean
}

export const PAUSES = [0.5, 0.8, 1, 1.5, 2, 3] as const
const HEARD_LEVEL = 0.01 // RMS of the remote track above which the companion is audible

/** Adds an event to the transcript: the person's turns, the companion's as it writes. */
export function transcriptAfter(lines: Line[], event: CallEvent): Line[] {
  if (event.type === 'transcript' && event.final) return [...lines, { who: 'you', text: event.text }]
  if (event.type === 'delta') {
    const last = lines[lines.length - 1]
    if (last?.who === 'companion' && !last.interrupted) {
      return [...lines.slice(0, -1), { ...last, text: last.text + event.text }]
    }
    return [...lines, { who: 'companion', text: event.text }]
  }
  if (event.type === 'listening' && event.interrupted) {
    const last = lines[lines.length - 1]
    if (last?.who === 'companion') return [...lines.slice(0, -1), { ...last, interrupted: true }]
  }
  return lines
}

function useAudibility(stream: MediaStream | null): boolean {
  const [heard, setHeard] = useState(false)
  useEffect(() => {
    if (!stream) return
    const context = new AudioContext()
    const analyser = context.createAnalyser()
    analyser.fftSize = 1024
    const samples = new Float32Array(analyser.fftSize)
    let source: MediaStreamAudioSourceNode | null = null
    const timer = setInterval(() => {
      if (!source && stream.getAudioTracks().length) {
        source = context.createMediaStreamSource(stream)
        source.connect(analyser)
      }
      analyser.getFloatTimeDomainData(samples)
      const rms = Math.sqrt(samples.reduce((sum, x) => sum + x * x, 0) / samples.length)
      if (rms > HEARD_LEVEL) setHeard(true)
    }, 100)
    return () => {
      clearInterval(timer)
      void context.close()
    }
  }, [stream])
  return heard
}

/** The dashboard's live call: talk, listen, interrupt; the turns land in the chat. */
export function CallPanel({ chatId }: { chatId?: string }) {
  const { t } = useTranslation()
  const { me } = useAuth()
  const queryClient = useQueryClient()
  const [phase, setPhase] = useState<Phase>('idle')
  const [lines, setLines] = useState<Line[]>([])
  const [resources, setResources] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [muted, setMuted] = useState(false)
  const [live, setLive] = useState<LiveCall | null>(null)
  const [callChat, setCallChat] = useState<string | null>(null)
  const audioRef = useRef<HTMLAudioElement>(null)
  const heard = useAudibility(live?.remote ?? null)
  const pauseId = useId()
  const [pause, setPause] = useState(me?.preferences.callPauseSeconds ?? 0.8)
  const [patient, setPatient] = useState(me?.preferences.callNeverInterrupt ?? false)
  const savedPause = me?.preferences.callPauseSeconds
  const savedPatient = me?.preferences.callNeverInterrupt
  useEffect(() => {
    // the profile may arrive after the panel: show what is saved once it does
    if (savedPause !== undefined) setPause(savedPause)
    if (savedPatient !== undefined) setPatient(savedPatient)
  }, [savedPause, savedPatient])

  const savePreference = useMutation({
    mutationFn: (preferences: { callPauseSeconds?: number; callNeverInterrupt?: boolean }) =>
      request('/api/users/me', { method: 'PATCH', body: { preferences } }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['me'] }),
  })

  useEffect(() => {
    if (audioRef.current && live) audioRef.current.srcObject = live.remote
  }, [live])

  useEffect(() => () => void live?.hangUp(), [live])

  const onEvent = (event: CallEvent) => {
    setLines((current) => transcriptAfter(current, event))
    if (event.type === 'crisis') setResources(event.resources)
    else if (event.type === 'error') setError(event.message)
    else if (event.type === 'ended') {
      setPhase('ended')
      setLive(null)
    } else if (event.type === 'listening' || event.type === 'thinking' || event.type === 'speaking') {
      setPhase(event.type)
    }
  }

  const call = async () => {
    setError(null)
    setPhase('connecting')
    try {
      const chat = chatId ?? callChat ?? (await request<{ id: string }>('/api/chats', { method: 'POST', body: {} })).id
      setCallChat(chat)
      setLive(await startCall(chat, onEvent))
      setMuted(false)
    } catch (caught) {
      setPhase('idle')
      setError(
        caught instanceof MicrophoneUnavailable
          ? t('call.noMicrophone')
          : caught instanceof ApiError
            ? describeError(t, caught)
            : t('call.failed'),
      )
      console.error('the call could not start', caught)
    }
  }

  const hangUp = async () => {
    const current = live
    setLive(null)
    setPhase('ended')
    await current?.hangUp()
    void queryClient.invalidateQueries({ queryKey: ['messages'] })
  }

  const toggleMute = () => {
    live?.setMuted(!muted)
    setMuted(!muted)
  }

  const inCall = live !== null
  return (
    <section aria-labelledby="call-heading" className="flex flex-col gap-3 rounded-lg border border-border p-4" data-heard-audio={heard ? 'true' : 'false'}>
      <h2 id="call-heading" className="text-lg font-semibold">
        {t('call.title')}
      </h2>
      {resources && <CrisisBanner resources={resources} />}
      <p role="status" className="text-muted">
        {t(`call.phase.${phase}`)}
      </p>
      <div className="flex flex-wrap gap-2">
        {inCall ? (
          <>
            <Button variant="danger" onClick={() => void hangUp()}>
              {t('call.hangUp')}
            </Button>
            <Button variant="secondary" aria-pressed={muted} onClick={toggleMute}>
              {muted ? t('call.unmute') : t('call.mute')}
            </Button>
          </>
        ) : (
          <Button onClick={() => void call()} disabled={phase === 'connecting'}>
            {t('call.start')}
          </Button>
        )}
      </div>
      {error && <ErrorText>{error}</ErrorText>}
      <div role="log" aria-label={t('call.transcript')} aria-live="polite" className="max-h-64 overflow-y-auto rounded-lg bg-bg p-2">
        {lines.length === 0 ? (
          <p className="text-muted">{t('call.transcriptEmpty')}</p>
        ) : (
          lines.map((line, index) => (
            <p key={index} className={line.who === 'you' ? 'font-medium' : undefined}>
              <span className="sr-only sm:not-sr-only">{line.who === 'you' ? t('call.you') : t('call.companion')}: </span>
              {line.text}
              {line.interrupted && <span className="text-muted"> {t('call.interrupted')}</span>}
            </p>
          ))
        )}
      </div>
      <div className="flex flex-wrap items-center gap-4">
        <label htmlFor={pauseId} className="flex items-center gap-2">
          {t('call.pause')}
          <select
            id={pauseId}
            value={String(pause)}
            onChange={(event) => {
              setPause(Number(event.target.value))
              savePreference.mutate({ callPauseSeconds: Number(event.target.value) })
            }}
            className="min-h-11 rounded-lg border border-border bg-bg px-2 text-fg"
          >
            {PAUSES.map((seconds) => (
              <option key={seconds} value={String(seconds)}>
                {t('call.seconds', { count: seconds })}
              </option>
            ))}
          </select>
        </label>
        <Checkbox label={t('call.neverInterrupt')} checked={patient} onChange={(checked) => {
            setPatient(checked)
            savePreference.mutate({ callNeverInterrupt: checked })
          }} />
      </div>
      {inCall && <p className="text-sm text-muted">{t('call.nextCall')}</p>}
      <audio ref={audioRef} autoPlay aria-hidden="true" />
    </section>
  )
}
