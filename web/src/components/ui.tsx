// Small shared pieces with consistent, AA-contrast styling.
import type { ButtonHTMLAttributes, InputHTMLAttributes, ReactNode } from 'react'
import { useId } from 'react'

export function cx(...names: (string | false | null | undefined)[]): string {
  return names.filter(Boolean).join(' ')
}

type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & { variant?: 'primary' | 'secondary' | 'danger' | 'ghost' }

export function Button({ variant = 'primary', className, type = 'button', ...rest }: ButtonProps) {
  const styles = {
    primary: 'bg-accent text-accent-fg hover:underline hover:underline-offset-4',
    secondary: 'border border-border bg-bg text-fg hover:bg-surface',
    danger: 'bg-danger text-bg hover:underline hover:underline-offset-4',
    ghost: 'text-fg hover:bg-surface',
  }[variant]
  return (
    <button
      type={type}
      className={cx(
        'inline-flex min-h-11 items-center justify-center gap-2 rounded-lg px-4 py-2 font-medium disabled:cursor-not-allowed disabled:opacity-60',
        styles,
        className,
      )}
      {...rest}
    />
  )
}

type FieldProps = InputHTMLAttributes<HTMLInputElement> & { label: string; hint?: ReactNode }

export function Field({ label, hint, className, id, ...rest }: FieldProps) {
  const generated = useId()
  const inputId = id ?? generated
  const hintId = hint ? `${inputId}-hint` : undefined
  return (
    <div className={cx('flex flex-col gap-1', className)}>
      <label htmlFor={inputId} className="font-medium">
        {label}
      </label>
      <input
        id={inputId}
        aria-describedby={hintId}
        className="min-h-11 rounded-lg border border-border bg-bg px-3 py-2 text-fg"
        {...rest}
      />
      {hint ? (
        <p id={hintId} className="text-sm text-muted">
          {hint}
        </p>
      ) : null}
    </div>
  )
}

export function ErrorText({ children }: { children: ReactNode }) {
  if (!children) return null
  return (
    <p role="alert" className="rounded-lg bg-danger-soft px-3 py-2 text-danger">
      {children}
    </p>
  )
}

export function PageHeading({ children }: { children: ReactNode }) {
  return <h1 className="text-2xl font-semibold">{children}</h1>
}

type FileButtonProps = {
  label: ReactNode
  accept: string
  onFile: (file: File) => void
  disabled?: boolean
  className?: string
}

/** A button that picks one file: the input is visually hidden inside its label, so the
 * label is the control keyboards and screen readers reach; picking the same file again
 * fires again (the input is cleared after each pick). */
export function FileButton({ label, accept, onFile, disabled, className }: FileButtonProps) {
  return (
    <label
      className={cx(
        'inline-flex min-h-11 cursor-pointer items-center rounded-lg border border-border px-4 py-2 font-medium hover:bg-surface focus-within:outline focus-within:outline-3',
        className,
      )}
    >
      {label}
      <input
        type="file"
        accept={accept}
        className="sr-only"
        disabled={disabled}
        onChange={(event) => {
          const file = event.target.files?.[0]
          event.target.value = ''
          if (file) onFile(file)
        }}
      />
    </label>
  )
}

interface CheckboxProps {
  label: ReactNode
  checked: boolean
  onChange: (checked: boolean) => void
}

/** A checkbox with its label, a full touch target high. */
export function Checkbox({ label, checked, onChange }: CheckboxProps) {
  return (
    <label className="flex min-h-11 items-center gap-2">
      <input type="checkbox" checked={checked} onChange={(event) => onChange(event.target.checked)} />
      {label}
    </label>
  )
}
