import { useState } from 'react'
import { NavLink, useNavigate } from 'react-router'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { request } from '../api/client'
import type { Chat, Page } from '../api/types'
import { describeError } from '../api/errors'
import { Button, ErrorText, cx } from '../components/ui'

export function chatTitle(chat: Chat, t: (key: string, o?: Record<string, unknown>) => string, locale: string): string {
  if (chat.title) return chat.title
  const date = new Date(chat.createdAt).toLocaleString(locale, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' })
  return t('chat.untitled', { date })
}

export function useChats() {
  return useQuery({
    queryKey: ['chats'],
    queryFn: () => request<Page<Chat>>('/api/chats?limit=100'),
  })
}

function ChatRow({ chat, current }: { chat: Chat; current: boolean }) {
  const { t, i18n } = useTranslation()
  const queryClient = useQueryClient()
  const navigate = useNavigate()
  const [mode, setMode] = useState<'view' | 'rename' | 'delete'>('view')
  const [name, setName] = useState(chat.title ?? '')
  const title = chatTitle(chat, t, i18n.language)
  const rename = useMutation({
    mutationFn: (value: string) => request<Chat>(`/api/chats/${chat.id}`, { method: 'PATCH', body: { title: value } }),
    onSuccess: () => {
      setMode('view')
      void queryClient.invalidateQueries({ queryKey: ['chats'] })
    },
  })
  const remove = useMutation({
    mutationFn: () => request(`/api/chats/${chat.id}`, { method: 'DELETE' }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['chats'] })
      if (current) navigate('/chat', { replace: true })
    },
  })
  if (mode === 'rename') {
    return (
      <li className="rounded-lg border border-border p-2">
        <form
          className="flex flex-col gap-2"
          onSubmit={(event) => {
            event.preventDefault()
            if (name.trim()) rename.mutate(name.trim())
          }}
        >
          <label className="flex flex-col gap-1 text-sm font-medium">
            {t('chat.chatName')}
            <input
              autoFocus
              value={name}
              maxLength={200}
              onChange={(event) => setName(event.target.value)}
              onKeyDown={(event) => event.key === 'Escape' && setMode('view')}
              className="min-h-11 rounded-lg border border-border bg-bg px-2 text-base text-fg"
            />
          </label>
          <ErrorText>{rename.error ? describeError(t, rename.error) : null}</ErrorText>
          <div className="flex gap-2">
            <Button type="submit" disabled={rename.isPending}>
              {t('common.save')}
            </Button>
            <Button variant="secondary" onClick={() => setMode('view')}>
              {t('common.cancel')}
            </Button>
          </div>
        </form>
      </li>
    )
  }
  if (mode === 'delete') {
    return (
      <li className="rounded-lg border border-danger p-2">
        <p className="font-medium">{t('chat.deleteConfirm', { title })}</p>
        <ErrorText>{remove.error ? describeError(t, remove.error) : null}</ErrorText>
        <div className="mt-2 flex gap-2">
          <Button variant="danger" onClick={() => remove.mutate()} disabled={remove.isPending}>
            {t('common.delete')}
          </Button>
          <Button variant="secondary" onClick={() => setMode('view')}>
            {t('common.cancel')}
          </Button>
        </div>
      </li>
    )
  }
  return (
    <li className={cx('flex items-center gap-1 rounded-lg', current && 'bg-accent-soft')}>
      <NavLink
        to={`/chat/${chat.id}`}
        aria-current={current ? 'page' : undefined}
        className="flex min-h-11 min-w-0 flex-1 items-center truncate rounded-lg px-2 text-fg hover:bg-surface"
      >
        <span className="truncate">{title}</span>
        {chat.flagged ? <span className="sr-only">{t('chat.flagged')}</span> : null}
      </NavLink>
      <Button variant="ghost" className="px-2 text-sm" aria-label={t('chat.renameNamed', { title })} onClick={() => setMode('rename')}>
        {t('chat.rename')}
      </Button>
      <Button variant="ghost" className="px-2 text-sm" aria-label={t('chat.deleteNamed', { title })} onClick={() => setMode('delete')}>
        {t('common.delete')}
      </Button>
    </li>
  )
}

export function ChatList({ currentId }: { currentId: string | undefined }) {
  const { t } = useTranslation()
  const chats = useChats()
  const queryClient = useQueryClient()
  const navigate = useNavigate()
  const [open, setOpen] = useState(false)
  const create = useMutation({
    mutationFn: () => request<Chat>('/api/chats', { method: 'POST', body: {} }),
    onSuccess: (chat) => {
      void queryClient.invalidateQueries({ queryKey: ['chats'] })
      setOpen(false)
      navigate(`/chat/${chat.id}`)
    },
  })
  return (
    <aside aria-labelledby="chats-heading" className="flex flex-col gap-2 border-b border-border p-2 md:w-80 md:border-b-0 md:border-r md:overflow-auto">
      <div className="flex items-center gap-2">
        <h2 id="chats-heading" className="text-lg font-semibold">
          {t('chat.chats')}
        </h2>
        <Button variant="secondary" className="md:hidden" aria-expanded={open} aria-controls="chat-list" onClick={() => setOpen(!open)}>
          {open ? t('chat.hideChats') : t('chat.showChats')}
        </Button>
        <Button className="ml-auto" onClick={() => create.mutate()} disabled={create.isPending}>
          {t('chat.newChat')}
        </Button>
      </div>
      <ErrorText>{create.error ? describeError(t, create.error) : null}</ErrorText>
      <div id="chat-list" className={cx(!open && 'hidden', 'max-h-[40vh] overflow-auto md:block md:max-h-none')}>
        {chats.isLoading ? <p className="text-muted">{t('common.loading')}</p> : null}
        {chats.data && chats.data.items.length === 0 ? <p className="text-muted">{t('chat.none')}</p> : null}
        <ul className="flex flex-col gap-1">
          {chats.data?.items.map((chat) => <ChatRow key={chat.id} chat={chat} current={chat.id === currentId} />)}
        </ul>
      </div>
    </aside>
  )
}
