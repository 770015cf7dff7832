import { request } from '../api/client'
import type { Clip } from '../api/types'

const AUTO_PLAY = 'confidant.autoPlay'

export function autoPlayEnabled(): boolean {
  try {
    return localStorage.getItem(AUTO_PLAY) === '1'
  } catch {
    return false
  }
}

export function setAutoPlay(on: boolean): void {
  try {
    localStorage.setItem(AUTO_PLAY, on ? '1' : '0')
  } catch {
    // ignore
  }
}

/** A stored clip (the same bearer token), as an object URL for an <audio> element. */
export async function clipUrl(clip: Clip): Promise<string> {
  const response = await request<Response>(clip.url || `/api/voice/clips/${clip.id}`, { raw: true })
  return URL.createObjectURL(await response.blob())
}

/** Plays the reply's sentences one after another as they arrive. */
export class SentenceQueue {
  private queue: string[] = []
  private playing: HTMLAudioElement | null = null
  played = 0

  push(blob: Blob): void {
    this.queue.push(URL.createObjectURL(blob))
    if (!this.playing) this.next()
  }

  private next(): void {
    const url = this.queue.shift()
    if (!url) {
      this.playing = null
      return
    }
    const audio = new Audio(url)
    this.playing = audio
    const advance = () => {
      URL.revokeObjectURL(url)
      this.played += 1
      this.next()
    }
    audio.onended = advance
    audio.onerror = advance
    audio.play().catch(advance)
  }

  stop(): void {
    this.playing?.pause()
    this.playing = null
    for (const url of this.queue) URL.revokeObjectURL(url)
    this.queue = []
  }
}

/** The recording format: WebM/Opus where the browser has it. */
export function recordingMimeType(): string | undefined {
  if (typeof MediaRecorder === 'undefined') return undefined
  for (const type of ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm']) {
    if (MediaRecorder.isTypeSupported(type)) return type
  }
  return undefined
}
