import { useId, useState, type KeyboardEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { Button } from '../components/ui'

interface Props {
  onSend: (text: string) => void
  onStop: () => void
  streaming: boolean
  disabled?: boolean
  children?: React.ReactNode
}

/** The message box: Enter sends, Shift+Enter is a new line (IME composition is left alone). */
export function Composer({ onSend, onStop, streaming, disabled = false, children }: Props) {
  const { t } = useTranslation()
  const [text, setText] = useState('')
  const id = useId()

  const send = () => {
    const content = text.trim()
    if (!content || streaming || disabled) return
    onSend(content)
    setText('')
  }

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing || event.keyCode === 229) return
    event.preventDefault()
    send()
  }

  return (
    <form
      className="flex flex-col gap-2 border-t border-border p-2 sm:p-3"
      onSubmit={(event) => {
        event.preventDefault()
        send()
      }}
    >
      <label htmlFor={id} className="sr-only">
        {t('chat.message')}
      </label>
      <div className="flex items-end gap-2">
        <textarea
          id={id}
          value={text}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={onKeyDown}
          rows={2}
          maxLength={8000}
          placeholder={t('chat.placeholder')}
          aria-describedby={`${id}-hint`}
          className="min-h-11 flex-1 resize-y rounded-lg border border-border bg-bg px-3 py-2 text-fg"
        />
        {streaming ? (
          <Button variant="danger" onClick={onStop}>
            {t('chat.stop')}
          </Button>
        ) : (
          <Button type="submit" disabled={disabled || !text.trim()}>
            {t('chat.send')}
          </Button>
        )}
      </div>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p id={`${id}-hint`} className="text-sm text-muted">
          {t('chat.keysHint')}
        </p>
        {children}
      </div>
    </form>
  )
}
