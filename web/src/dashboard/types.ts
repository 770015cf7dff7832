// Shapes of the dashboard's endpoints (see /openapi.json).
import type { MoodTrend } from './MoodChart'

export type Range = 'week' | 'month'

export interface Analytics {
  range: Range
  timeZone: string
  charts: {
    moodTrend: MoodTrend
    completion: { value: number; label: string; done: number; goal: number }
  }
  progress: {
    week: { avgMood: number | null; habitRate: number | null; daysStreak: number }
    month: { avgMood: number | null; habitRate: number | null }
  }
}

export interface Insights {
  date: string
  dailyInsight: { title: string; text: string; theme: string }
  suggestions: { activities: { title: string; details: string; reason: string }[] }
}

export interface Stats {
  streakDays: number
  xp: number
  level: number
  nextLevelXp: number
  lastActiveOn: string | null
}
