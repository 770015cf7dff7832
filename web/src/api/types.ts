// Shapes of the Confidant API (see /openapi.json); JSON is camelCase.

export interface ApiErrorBody {
  error: { code: string; message: string; details: unknown }
}

export interface Tokens {
  accessToken: string
  refreshToken: string | null
  tokenType: 'bearer'
  expiresIn: number
  userId: string
  role: string
}

export interface Preferences {
  theme: 'system' | 'light' | 'dark'
  notifications: boolean
  language: string
  timeZone: string
  rememberChats: boolean
  autoFineTune: boolean
  callPauseSeconds: number
  callNeverInterrupt: boolean
}

export interface Profile {
  name: string | null
  email: string | null
  phone: string | null
  avatarUrl: string | null
}

export interface Me {
  id: string
  role: string
  profile: Profile
  preferences: Preferences
  stats: Record<string, unknown>
  medicalCard: Record<string, unknown>
  createdAt: string
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

export interface Chat {
  id: string
  title: string | null
  model: string | null
  flagged: boolean
  createdAt: string
  updatedAt: string
}

export interface Source {
  entryId: string
  sourceType: 'diary' | 'message'
  date: string
  snippet: string
  highlights: [number, number][]
}

export interface Message {
  id: string
  chatId: string
  role: 'user' | 'assistant'
  content: string
  model?: string | null
  sources?: Source[] | null
  interrupted?: boolean
  createdAt: string
}

export interface Clip {
  id: string
  url: string
  contentType: string
  durationSeconds: number
  expiresAt: string
}

export interface ModelItem {
  name: string
  kind: string
  provider?: 'transformers' | 'openai' | null
  status: string
  reason?: string | null
  default?: boolean
  id?: string | null
  baseModel?: string | null
  active?: boolean
}

export interface SessionInfo {
  id: string
  createdAt: string
  expiresAt: string
  current: boolean
}
