// Fine-tune status, without React: what to show and whether to keep polling.

export type State = 'queued' | 'training' | 'ready' | 'failed' | 'cancelled'

export interface FineTuneStatus {
  id: string
  name: string
  baseModel: string
  ownerId: string | null
  trigger: string
  state: State
  step: number
  totalSteps: number | null
  loss: number | null
  evalLoss: number | null
  evalLossBefore: number | null
  etaSeconds: number | null
  trainExamples: number | null
  evalExamples: number | null
  detail: string | null
  jobId: string | null
  createdAt: string
  finishedAt: string | null
}

/** Still moving: keep asking for its status. */
export function inProgress(state: string | undefined): boolean {
  return state === 'queued' || state === 'training'
}

/** Percent of the steps done, or null when the total is not known yet. */
export function percentDone(step: number, total: number | null): number | null {
  if (!total || total <= 0) return null
  return Math.max(0, Math.min(100, Math.round((step / total) * 100)))
}

/** Time left as whole units: [count, 'seconds' | 'minutes' | 'hours'], or null. */
export function etaParts(seconds: number | null): [number, 'seconds' | 'minutes' | 'hours'] | null {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return null
  if (seconds < 60) return [Math.max(1, Math.round(seconds)), 'seconds']
  if (seconds < 3600) return [Math.round(seconds / 60), 'minutes']
  return [Math.round((seconds / 3600) * 10) / 10, 'hours']
}
