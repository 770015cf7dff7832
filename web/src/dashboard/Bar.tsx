/** A progress bar in the theme's colours; the figures are also written out beside it. */
export function Bar({ value, max, label }: { value: number; max: number; label: string }) {
  const percent = Math.max(0, Math.min(100, (value / max) * 100))
  return (
    <div role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={max} aria-valuenow={value} className="h-3 w-full overflow-hidden rounded-full border border-border bg-surface">
      <div className="h-full rounded-full bg-accent" style={{ width: `${percent}%` }} />
    </div>
  )
}
