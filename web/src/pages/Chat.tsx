import { useCallback, useEffect, useRef, useState } from 'react'
import { Navigate, useParams } from 'react-router'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { request } from '../api/client'
import type { Chat as ChatT, Clip, Message, Page, Source } from '../api/types'
import { describeError } from '../api/errors'
import { ApiError } from '../api/client'
import { useAuth } from '../auth/AuthProvider'
import { ChatList, chatTitle, useChats } from '../chat/ChatList'
import { Composer } from '../chat/Composer'
import { MessageView } from '../chat/MessageView'
import { ModelPicker } from '../chat/ModelPicker'
import { VoiceRecorder } from '../chat/VoiceRecorder'
import { ChatSocket, sendMessage, withFallback, type ReplyEvent, type ReplyHandle } from '../chat/stream'
import { SentenceQueue, autoPlayEnabled, clipUrl } from '../chat/audio'
import { Button, ErrorText } from '../components/ui'
import { useTitle } from '../components/useTitle'

// Spoken replies seen in this tab, by message id (object URLs, in memory).
const audioById = new Map<string, string>()

// Crisis resources shown with a reply, by message id: kept for this tab's session so a
// reload still shows the banner (sessionStorage ends with the tab; nothing else is kept).
const RESOURCES_KEY = 'confidant.crisis'
function loadResources(): Map<string, string> {
  try {
    return new Map(Object.entries(JSON.parse(sessionStorage.getItem(RESOURCES_KEY) ?? '{}') as Record<string, string>))
  } catch {
    return new Map()
  }
}
const resourcesById = loadResources()
function rememberResources(messageId: string, resources: string): void {
  resourcesById.set(messageId, resources)
  try {
    sessionStorage.setItem(RESOURCES_KEY, JSON.stringify(Object.fromEntries(resourcesById)))
  } catch {
    // storage full or unavailable: the banner still shows until the page is left
  }
}

interface LiveTurn {
  user: Message | null
  transcribing: boolean
  text: string
  resources: string | null
  sources: Source[]
  error: string | null
}

function pendingMessage(chatId: string, content: string): Message {
  return { id: `pending-${Date.now()}`, chatId, role: 'user', content, createdAt: new Date().toISOString() }
}

function Conversation({ chat }: { chat: ChatT }) {
  const { t, i18n } = useTranslation()
  const { isAdmin } = useAuth()
  const queryClient = useQueryClient()
  const chatId = chat.id
  const messagesKey = ['messages', chatId]
  const messages = useQuery({
    queryKey: messagesKey,
    queryFn: () => request<Page<Message>>(`/api/chats/${chatId}/messages?limit=100`),
  })
  const [live, setLive] = useState<LiveTurn | null>(null)
  const [loadingOlder, setLoadingOlder] = useState(false)
  const loadOlder = async () => {
    const cursor = messages.data?.nextCursor
    if (!cursor) return
    setLoadingOlder(true)
    try {
      const older = await request<Page<Message>>(`/api/chats/${chatId}/messages?limit=100&cursor=${encodeURIComponent(cursor)}`)
      queryClient.setQueryData<Page<Message>>(messagesKey, (old) => ({
        items: [...(old?.items ?? []), ...older.items],
        nextCursor: older.nextCursor,
      }))
    } finally {
      setLoadingOlder(false)
    }
  }
  const [streaming, setStreaming] = useState(false)
  const [, setAudioVersion] = useState(0)
  const socket = useRef<ChatSocket | null>(null)
  const handle = useRef<ReplyHandle | null>(null)
  const logRef = useRef<HTMLDivElement | null>(null)

  useEffect(() => {
    socket.current = new ChatSocket(chatId)
    return () => {
      socket.current?.close()
      socket.current = null
    }
  }, [chatId])

  useEffect(() => {
    const log = logRef.current
    if (log) log.scrollTop = log.scrollHeight
  }, [messages.data, live])

  const append = useCallback(
    (...added: Message[]) => {
      queryClient.setQueryData<Page<Message>>(messagesKey, (old) => ({
        items: [...added.reverse(), ...(old?.items ?? [])],
        nextCursor: old?.nextCursor ?? null,
      }))
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [queryClient, chatId],
  )

  const run = useCallback(
    async (start: (emit: (event: ReplyEvent) => void) => Promise<ReplyHandle>, turn: LiveTurn, spoken: boolean) => {
      setLive(turn)
      setStreaming(true)
      let current = turn
      const sentences = spoken && autoPlayEnabled() ? new SentenceQueue() : null
      const update = (patch: Partial<LiveTurn>) => {
        current = { ...current, ...patch }
        setLive(current)
      }
      const emit = (event: ReplyEvent) => {
        switch (event.type) {
          case 'crisis':
            update({ resources: event.resources })
            break
          case 'sources':
            update({ sources: event.sources })
            break
          case 'delta':
            update({ text: current.text + event.content })
            break
          case 'transcript':
            update({ user: event.message, transcribing: false })
            break
          case 'audio':
            sentences?.push(event.data)
            break
          case 'message': {
            const reply = event.message
            if (current.resources) rememberResources(reply.id, current.resources)
            if (!reply.sources && current.sources.length) reply.sources = current.sources
            const added = current.user ? [current.user, reply] : [reply]
            append(...added)
            setLive(null)
            setStreaming(false)
            if (event.userAudio && current.user) {
              void clipUrl(event.userAudio).then((url) => {
                audioById.set(current.user!.id, url)
                setAudioVersion((v) => v + 1)
              })
            }
            if (event.audio) {
              const clip: Clip = event.audio
              void clipUrl(clip).then((url) => {
                audioById.set(reply.id, url)
                setAudioVersion((v) => v + 1)
                if (spoken && autoPlayEnabled() && !sentences?.played) void new Audio(url).play().catch(() => undefined)
              })
            }
            void queryClient.invalidateQueries({ queryKey: ['chats'] })
            break
          }
          case 'stopped':
            if (current.user && !current.user.id.startsWith('pending-')) append(current.user)
            setLive(current.user?.id.startsWith('pending-') ? { ...current, text: '', error: t('chat.stoppedBeforeStart') } : null)
            setStreaming(false)
            break
          case 'error':
            update({
              error: describeError(t, new ApiError(0, event.code, event.message, event.details, null)),
              transcribing: false,
            })
            setStreaming(false)
            break
        }
      }
      try {
        handle.current = await start(emit)
        await handle.current.done
      } catch (error) {
        update({ error: describeError(t, error) })
        setStreaming(false)
      } finally {
        handle.current = null
      }
    },
    [append, queryClient, t],
  )

  const onSend = (content: string) => {
    const turn: LiveTurn = { user: pendingMessage(chatId, content), transcribing: false, text: '', resources: null, sources: [], error: null }
    void run((emit) => sendMessage(socket.current, chatId, content, emit), turn, false)
  }

  const onRecorded = (recording: Blob) => {
    const turn: LiveTurn = { user: null, transcribing: true, text: '', resources: null, sources: [], error: null }
    void run(
      (emit) =>
        withFallback(
          socket.current ? (e) => socket.current!.sendVoice(recording, e) : null,
          (e) => voiceOverHttp(chatId, recording, e),
          emit,
        ),
      turn,
      true,
    )
  }

  const items = [...(messages.data?.items ?? [])].reverse()
  return (
    <section aria-labelledby="conversation-heading" className="flex min-h-0 flex-1 flex-col">
      <div className="flex flex-wrap items-center gap-2 border-b border-border px-3 py-2">
        <h2 id="conversation-heading" className="mr-auto truncate text-lg font-semibold">
          {chatTitle(chat, t, i18n.language)}
        </h2>
        <ModelPicker chat={chat} isAdmin={isAdmin} />
      </div>
      <div
        ref={logRef}
        role="log"
        aria-label={t('chat.conversation')}
        aria-busy={streaming}
        tabIndex={0}
        className="flex min-h-40 flex-1 flex-col gap-3 overflow-auto p-3"
      >
        {messages.isLoading ? <p className="text-muted">{t('common.loading')}</p> : null}
        {messages.error ? <ErrorText>{describeError(t, messages.error)}</ErrorText> : null}
        {messages.data?.nextCursor ? (
          <Button variant="secondary" className="self-center" onClick={() => void loadOlder()} disabled={loadingOlder}>
            {t('chat.older')}
          </Button>
        ) : null}
        {messages.data && items.length === 0 && !live ? <p className="text-muted">{t('chat.empty')}</p> : null}
        {items.map((message) => (
          <MessageView
            key={message.id}
            role={message.role}
            content={message.content}
            resources={resourcesById.get(message.id)}
            sources={message.sources}
            interrupted={message.interrupted}
            audioUrl={audioById.get(message.id)}
          />
        ))}
        {live?.user ? <MessageView role="user" content={live.user.content} /> : null}
        {live?.transcribing ? <p className="text-muted">{t('voice.transcribing')}</p> : null}
        {live && (live.text || live.resources || (streaming && !live.transcribing)) ? (
          <MessageView
            role="assistant"
            content={live.text || (live.resources ? '' : t('chat.thinking'))}
            resources={live.resources}
            streaming={streaming}
          />
        ) : null}
        {live?.error ? <ErrorText>{live.error}</ErrorText> : null}
      </div>
      <Composer onSend={onSend} onStop={() => handle.current?.stop()} streaming={streaming}>
        <VoiceRecorder onRecorded={onRecorded} disabled={streaming} />
      </Composer>
    </section>
  )
}

async function voiceOverHttp(chatId: string, recording: Blob, emit: (event: ReplyEvent) => void): Promise<ReplyHandle> {
  const form = new FormData()
  form.append('chatId', chatId)
  form.append('audio', recording, recording.type.includes('ogg') ? 'voice.ogg' : 'voice.webm')
  form.append('format', 'ogg')
  const done = (async () => {
    try {
      const turn = await request<{
        transcript: string
        userMessage: Message
        reply: Message
        crisis: boolean
        userAudio: Clip
        replyAudio: Clip
      }>('/api/messages/voice', { method: 'POST', body: form })
      emit({ type: 'transcript', content: turn.transcript, message: turn.userMessage })
      emit({ type: 'message', message: turn.reply, crisis: turn.crisis, audio: turn.replyAudio, userAudio: turn.userAudio })
    } catch (error) {
      const e = error instanceof ApiError ? error : new ApiError(0, 'network', String(error), null, null)
      emit({ type: 'error', code: e.code, message: e.message, details: e.details })
    }
  })()
  return { stop: () => undefined, done }
}

export default function ChatPage() {
  const { t, i18n } = useTranslation()
  const { chatId } = useParams()
  const chats = useChats()
  const chat = useQuery({
    queryKey: ['chat', chatId],
    queryFn: () => request<ChatT>(`/api/chats/${chatId}`),
    enabled: !!chatId,
  })
  const [creating, setCreating] = useState<string | null>(null)
  useTitle(chat.data ? `${t('nav.chat')}: ${chatTitle(chat.data, t, i18n.language)}` : t('nav.chat'))

  // /chat opens the newest chat, or starts one.
  useEffect(() => {
    if (chatId || !chats.data || chats.data.items.length || creating) return
    void request<ChatT>('/api/chats', { method: 'POST', body: { resume: true } }).then((made) => setCreating(made.id))
  }, [chatId, chats.data, creating])
  if (!chatId) {
    const target = chats.data?.items[0]?.id ?? creating
    if (target) return <Navigate to={`/chat/${target}`} replace />
  }

  return (
    <div className="flex h-full flex-col md:flex-row">
      <h1 className="sr-only">{t('nav.chat')}</h1>
      <ChatList currentId={chatId} />
      {chat.data ? (
        <Conversation key={chat.data.id} chat={chat.data} />
      ) : chat.error ? (
        <div className="p-4">
          <ErrorText>{describeError(t, chat.error)}</ErrorText>
        </div>
      ) : (
        <p className="p-4 text-muted">{t('common.loading')}</p>
      )}
    </div>
  )
}
