import { useId } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { request } from '../api/client'
import type { Chat, ModelItem } from '../api/types'
import { describeError } from '../api/errors'
import { Button, ErrorText } from '../components/ui'

export function ModelPicker({ chat, isAdmin }: { chat: Chat; isAdmin: boolean }) {
  const { t } = useTranslation()
  const id = useId()
  const queryClient = useQueryClient()
  const models = useQuery({ queryKey: ['models'], queryFn: () => request<ModelItem[]>('/api/models'), staleTime: 30_000 })
  const bases = (models.data ?? []).filter((m) => m.kind === 'base')
  const fallback = bases.find((m) => m.default)?.name ?? ''
  const selected = chat.model ?? fallback
  const change = useMutation({
    mutationFn: (model: string) => request<Chat>(`/api/chats/${chat.id}`, { method: 'PATCH', body: { model } }),
    onSuccess: (updated) => {
      queryClient.setQueryData(['chat', chat.id], updated)
      void queryClient.invalidateQueries({ queryKey: ['chats'] })
    },
  })
  const useForAll = useMutation({
    mutationFn: (model: ModelItem) =>
      request('/api/models/use', { method: 'POST', body: { model: model.name, provider: model.provider ?? 'transformers' } }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['models'] }),
  })
  const current = bases.find((m) => m.name === selected)
  return (
    <div className="flex flex-wrap items-center gap-2">
      <label htmlFor={id} className="text-sm font-medium">
        {t('chat.model')}
      </label>
      <select
        id={id}
        value={selected}
        disabled={!models.data || change.isPending}
        onChange={(event) => change.mutate(event.target.value)}
        className="min-h-11 max-w-56 rounded-lg border border-border bg-bg px-2 text-fg"
      >
        {bases.length === 0 ? <option value="">{t('common.loading')}</option> : null}
        {bases.map((model) => (
          <option key={model.name} value={model.name} disabled={model.status !== 'loaded' && model.name !== selected}>
            {model.name}
            {model.status !== 'loaded' ? ` (${t(`models.status.${model.status}`, { defaultValue: model.status })})` : ''}
          </option>
        ))}
      </select>
      {isAdmin && current && !current.default ? (
        <Button variant="secondary" onClick={() => useForAll.mutate(current)} disabled={useForAll.isPending}>
          {t('chat.useForEveryone')}
        </Button>
      ) : null}
      {current?.reason ? <p className="text-sm text-muted">{current.reason}</p> : null}
      <ErrorText>{change.error ? describeError(t, change.error) : useForAll.error ? describeError(t, useForAll.error) : null}</ErrorText>
    </div>
  )
}
