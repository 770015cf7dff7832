import { useId } from 'react'
import { useTranslation } from 'react-i18next'
import { Button } from '../components/ui'

interface Props {
  value: string
  onChange: (value: string) => void
  label: string
  max?: number
}

/** A PIN field that takes typed digits, with an on-screen pad (buttons, so Tab and Enter work). */
export function PinPad({ value, onChange, label, max = 8 }: Props) {
  const { t } = useTranslation()
  const id = useId()
  const press = (digit: string) => value.length < max && onChange(value + digit)
  return (
    <div className="flex flex-col gap-2">
      <label htmlFor={id} className="font-medium">
        {label}
      </label>
      <input
        id={id}
        type="password"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9]*"
        value={value}
        maxLength={max}
        onChange={(event) => onChange(event.target.value.replace(/\D/g, '').slice(0, max))}
        className="min-h-11 w-48 rounded-lg border border-border bg-bg px-3 text-center text-2xl tracking-widest text-fg"
      />
      <div role="group" aria-label={t('pin.pad')} className="grid w-48 grid-cols-3 gap-2">
        {['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((digit) => (
          <Button key={digit} variant="secondary" onClick={() => press(digit)}>
            {digit}
          </Button>
        ))}
        <Button variant="secondary" aria-label={t('pin.deleteDigit')} onClick={() => onChange(value.slice(0, -1))}>
          ⌫
        </Button>
        <Button variant="secondary" onClick={() => press('0')}>
          0
        </Button>
        <Button variant="secondary" aria-label={t('pin.clear')} onClick={() => onChange('')}>
          C
        </Button>
      </div>
    </div>
  )
}
