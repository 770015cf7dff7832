import { useId, useState, type ReactNode } from 'react'
import { Link } from 'react-router'
import { keepPreviousData, useQueries, useQuery } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { request } from '../api/client'
import { describeError } from '../api/errors'
import type { Chat, Page } from '../api/types'
import { CallPanel } from '../call/CallPanel'
import { ErrorText, PageHeading, cx } from '../components/ui'
import { useTitle } from '../components/useTitle'
import { dayIn, type Mark } from '../dashboard/chart'
import { Bar } from '../dashboard/Bar'
import { MoodChart } from '../dashboard/MoodChart'
import { NewsCard } from '../dashboard/NewsCard'
import type { Analytics, Insights, Range, Stats } from '../dashboard/types'
import { ASSESSMENT_IDS, type History } from '../wellbeing/bands'

function Card({ title, children, className }: { title: string; children: ReactNode; className?: string }) {
  const id = useId()
  return (
    <section aria-labelledby={id} className={cx('flex flex-col gap-2 rounded-lg border border-border p-4', className)}>
      <h2 id={id} className="text-lg font-semibold">
        {title}
      </h2>
      {children}
    </section>
  )
}

function Today() {
  const { t } = useTranslation()
  const insights = useQuery({ queryKey: ['insights'], queryFn: () => request<Insights>('/api/insights/daily') })
  return (
    <Card title={t('dashboard.today')} className="md:col-span-2">
      <ErrorText>{insights.error ? describeError(t, insights.error) : null}</ErrorText>
      {insights.data ? (
        <>
          <p className="font-semibold">{insights.data.dailyInsight.title}</p>
          <p>{insights.data.dailyInsight.text}</p>
          {insights.data.suggestions.activities.length ? (
            <>
              <h3 className="mt-2 font-semibold">{t('dashboard.suggestions')}</h3>
              <ul className="flex flex-col gap-2">
                {insights.data.suggestions.activities.slice(0, 3).map((activity) => (
                  <li key={activity.title} className="rounded-lg bg-surface p-3">
                    <p className="font-medium">{activity.title}</p>
                    <p className="text-sm">{activity.details}</p>
                    <p className="text-sm text-muted">
                      {t('dashboard.why')} {activity.reason}
                    </p>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </>
      ) : insights.isLoading ? (
        <p role="status">{t('common.loading')}</p>
      ) : null}
    </Card>
  )
}

function useMarks(timeZone: string): Mark[] {
  const histories = useQueries({
    queries: ASSESSMENT_IDS.map((id) => ({
      queryKey: ['assessment-history', id],
      queryFn: () => request<History>(`/api/assessments/${id}/responses`),
    })),
  })
  return histories.flatMap((history) =>
    (history.data?.items ?? []).map((item) => ({
      day: dayIn(item.createdAt, timeZone),
      assessment: item.assessmentId,
      score: item.score,
      maxScore: item.maxScore,
      severity: item.severity,
    })),
  )
}

function Trend({ range, setRange }: { range: Range; setRange: (range: Range) => void }) {
  const { t, i18n } = useTranslation()
  const analytics = useQuery({ queryKey: ['analytics', range], queryFn: () => request<Analytics>(`/api/analytics?range=${range}`), placeholderData: keepPreviousData })
  const marks = useMarks(analytics.data?.timeZone ?? 'UTC')
  const number = new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 1 })
  const data = analytics.data
  const percent = (value: number | null) => (value === null ? t('dashboard.none') : `${value}%`)
  const mood = (value: number | null) => (value === null ? t('dashboard.none') : t('dashboard.moodValue', { value: number.format(value) }))
  return (
    <>
      <Card title={t('dashboard.moodTrend')} className="md:col-span-2">
        <div role="group" aria-label={t('dashboard.range')} className="flex gap-1">
          {(['week', 'month'] as const).map((value) => (
            <button
              key={value}
              type="button"
              aria-pressed={range === value}
              onClick={() => setRange(value)}
              className={cx(
                'min-h-11 rounded-lg px-4 font-medium',
                range === value ? 'bg-accent text-accent-fg' : 'border border-border bg-bg text-fg hover:bg-surface',
              )}
            >
              {t(`dashboard.${value}`)}
            </button>
          ))}
        </div>
        <ErrorText>{analytics.error ? describeError(t, analytics.error) : null}</ErrorText>
        {data ? <MoodChart trend={data.charts.moodTrend} marks={marks} /> : <p role="status">{t('common.loading')}</p>}
      </Card>
      {data ? (
        <>
          <Card title={t('dashboard.weeklyGoal')}>
            <p className="text-3xl font-semibold">{data.charts.completion.value}%</p>
            <Bar value={data.charts.completion.value} max={100} label={t('dashboard.weeklyGoal')} />
            <p>
              {data.charts.completion.goal
                ? t('dashboard.goalDone', { done: data.charts.completion.done, goal: data.charts.completion.goal })
                : t('dashboard.noHabits')}
            </p>
            <Link to="/wellbeing" className="text-link underline">
              {t('dashboard.toHabits')}
            </Link>
          </Card>
          <Card title={t('dashboard.progress')}>
            <table className="text-sm">
              <caption className="sr-only">{t('dashboard.progress')}</caption>
              <thead>
                <tr>
                  <td />
                  <th scope="col" className="px-2 text-left">
                    {t('dashboard.thisWeek')}
                  </th>
                  <th scope="col" className="px-2 text-left">
                    {t('dashboard.thisMonth')}
                  </th>
                </tr>
              </thead>
              <tbody>
                <tr>
                  <th scope="row" className="py-1 pr-2 text-left">
                    {t('dashboard.avgMood')}
                  </th>
                  <td className="px-2">{mood(data.progress.week.avgMood)}</td>
                  <td className="px-2">{mood(data.progress.month.avgMood)}</td>
                </tr>
                <tr>
                  <th scope="row" className="py-1 pr-2 text-left">
                    {t('dashboard.habitRate')}
                  </th>
                  <td className="px-2">{percent(data.progress.week.habitRate)}</td>
                  <td className="px-2">{percent(data.progress.month.habitRate)}</td>
                </tr>
                <tr>
                  <th scope="row" className="py-1 pr-2 text-left">
                    {t('dashboard.streak')}
                  </th>
                  <td className="px-2">{t('dashboard.days', { count: data.progress.week.daysStreak })}</td>
                  <td className="px-2">—</td>
                </tr>
              </tbody>
            </table>
          </Card>
        </>
      ) : null}
    </>
  )
}

function Level() {
  const { t } = useTranslation()
  const stats = useQuery({ queryKey: ['stats'], queryFn: () => request<Stats>('/api/users/me/stats') })
  const data = stats.data
  if (!data) return <ErrorText>{stats.error ? describeError(t, stats.error) : null}</ErrorText>
  return (
    <Card title={t('dashboard.level')}>
      <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1">
        <dt className="font-medium">{t('dashboard.streak')}</dt>
        <dd data-testid="streak">{t('dashboard.days', { count: data.streakDays })}</dd>
        <dt className="font-medium">{t('dashboard.levelLabel')}</dt>
        <dd>{data.level}</dd>
        <dt className="font-medium">{t('dashboard.xp')}</dt>
        <dd>{data.xp}</dd>
      </dl>
      <Bar value={data.xp} max={Math.max(data.nextLevelXp, 1)} label={t('dashboard.toNext')} />
      <p className="text-sm">{t('dashboard.nextLevel', { level: data.level + 1, xp: Math.max(0, data.nextLevelXp - data.xp) })}</p>
    </Card>
  )
}

function ChatPane() {
  const { t, i18n } = useTranslation()
  const chats = useQuery({ queryKey: ['chats', 'recent'], queryFn: () => request<Page<Chat>>('/api/chats?limit=3') })
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' })
  return (
    <Card title={t('dashboard.chat')}>
      <Link to="/chat" className="inline-flex min-h-11 items-center self-start rounded-lg bg-accent px-4 font-medium text-accent-fg hover:underline">
        {t('dashboard.openChat')}
      </Link>
      {chats.data?.items.length ? (
        <ul className="flex flex-col gap-1">
          {chats.data.items.map((chat) => (
            <li key={chat.id}>
              <Link to={`/chat/${chat.id}`} className="text-link underline">
                {chat.title || t('dashboard.untitled')}
              </Link>{' '}
              <span className="text-sm text-muted">{when.format(new Date(chat.updatedAt))}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </Card>
  )
}

export default function Dashboard() {
  const { t } = useTranslation()
  useTitle(t('dashboard.nav'))
  const [range, setRange] = useState<Range>('week')
  return (
    <div className="mx-auto flex max-w-5xl flex-col gap-4 p-4">
      <PageHeading>{t('dashboard.heading')}</PageHeading>
      <div className="grid grid-cols-1 gap-4 md:grid-cols-2">
        <Today />
        <Trend range={range} setRange={setRange} />
        <Level />
        <ChatPane />
        <div className="md:col-span-2">
          <CallPanel />
        </div>
        <div className="md:col-span-2">
          <NewsCard />
        </div>
      </div>
    </div>
  )
}
