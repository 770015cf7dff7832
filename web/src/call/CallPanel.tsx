import { useTranslation } from 'react-i18next'

/** The dashboard's live-call panel; the live-call work replaces this placeholder. */
export function CallPanel({ chatId }: { chatId?: string }) {
  const { t } = useTranslation()
  return (
    <section aria-labelledby="call-heading" className="rounded-lg border border-border p-4" data-chat-id={chatId}>
      <h2 id="call-heading" className="text-lg font-semibold">
        {t('call.title', 'Call')}
      </h2>
    </section>
  )
}
