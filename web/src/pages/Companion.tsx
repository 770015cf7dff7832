import { useId, useState } from 'react'
import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { request } from '../api/client'
import { describeError } from '../api/errors'
import type { Me, ModelItem } from '../api/types'
import { useAuth } from '../auth/AuthProvider'
import { Button, Checkbox, ErrorText, PageHeading } from '../components/ui'
import { useTitle } from '../components/useTitle'
import { Bar } from '../dashboard/Bar'
import { etaParts, inProgress, percentDone, type FineTuneStatus } from '../companion/status'

const POLL_MS = 2000

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  const id = useId()
  return (
    <section aria-labelledby={id} className="flex flex-col gap-3 rounded-lg border border-border p-4">
      <h2 id={id} className="text-xl font-semibold">
        {title}
      </h2>
      {children}
    </section>
  )
}

function AdapterRow({ adapter, status }: { adapter: ModelItem; status: FineTuneStatus | undefined }) {
  const { t, i18n } = useTranslation()
  const queryClient = useQueryClient()
  const cancel = useMutation({
    mutationFn: () => request<FineTuneStatus>(`/api/models/${adapter.id}/cancel`, { method: 'POST' }),
    onSuccess: (updated) => {
      queryClient.setQueryData(['finetune-status', adapter.id], updated)
      void queryClient.invalidateQueries({ queryKey: ['models'] })
    },
  })
  const number = new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 3 })
  const loss = (value: number | null | undefined) => (value === null || value === undefined ? '—' : number.format(value))
  const state = status?.state ?? adapter.status
  const percent = status ? percentDone(status.step, status.totalSteps) : null
  const eta = status && inProgress(status.state) ? etaParts(status.etaSeconds) : null
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' })
  return (
    <li className="flex flex-col gap-2 rounded-lg border border-border p-3" data-testid="adapter">
      <p className="font-semibold">
        {adapter.name}
        {adapter.active ? <span className="ml-2 rounded bg-accent-soft px-2 py-0.5 text-sm">{t('companion.activeBadge')}</span> : null}
      </p>
      <p className="text-sm text-muted">
        {t('companion.onBase', { base: adapter.baseModel ?? status?.baseModel ?? '' })}
        {status ? ` · ${when.format(new Date(status.createdAt))}` : ''}
      </p>
      <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="font-medium">{t('companion.state')}</dt>
        <dd data-testid="adapter-state">{t(`companion.states.${state}`, { defaultValue: state })}</dd>
        {status ? (
          <>
            <dt className="font-medium">{t('companion.step')}</dt>
            <dd>{status.totalSteps ? t('companion.stepOf', { step: status.step, total: status.totalSteps }) : status.step}</dd>
            <dt className="font-medium">{t('companion.loss')}</dt>
            <dd>{loss(status.loss)}</dd>
            <dt className="font-medium">{t('companion.evalLoss')}</dt>
            <dd>{t('companion.beforeAfter', { before: loss(status.evalLossBefore), after: loss(status.evalLoss) })}</dd>
            {eta ? (
              <>
                <dt className="font-medium">{t('companion.eta')}</dt>
                <dd>{t(`companion.eta_${eta[1]}`, { count: eta[0] })}</dd>
              </>
            ) : null}
            {status.detail ? (
              <>
                <dt className="font-medium">{t('companion.detail')}</dt>
                <dd>{status.detail}</dd>
              </>
            ) : null}
          </>
        ) : null}
      </dl>
      {percent !== null && inProgress(state) ? <Bar value={percent} max={100} label={t('companion.progressOf', { name: adapter.name })} /> : null}
      {inProgress(state) ? (
        <Button variant="danger" className="self-start" onClick={() => cancel.mutate()} disabled={cancel.isPending}>
          {t('companion.cancel')}
        </Button>
      ) : null}
      <ErrorText>{cancel.error ? describeError(t, cancel.error) : null}</ErrorText>
    </li>
  )
}

function Adapters({ adapters }: { adapters: ModelItem[] }) {
  const { t } = useTranslation()
  const queryClient = useQueryClient()
  const statuses = useQueries({
    queries: adapters.map((adapter) => ({
      queryKey: ['finetune-status', adapter.id],
      queryFn: () => request<FineTuneStatus>(`/api/models/${adapter.id}/status`),
      refetchInterval: (query: { state: { data?: FineTuneStatus } }) => (inProgress(query.state.data?.state ?? adapter.status) ? POLL_MS : false),
    })),
  })
  const start = useMutation({
    mutationFn: () => request<FineTuneStatus>('/api/models/fine-tune', { method: 'POST', body: {} }),
    onSuccess: (status) => {
      queryClient.setQueryData(['finetune-status', status.id], status)
      void queryClient.invalidateQueries({ queryKey: ['models'] })
    },
  })
  const busy = adapters.some((adapter, i) => inProgress(statuses[i]?.data?.state ?? adapter.status))
  return (
    <Section title={t('companion.adapters')}>
      <p className="text-sm text-muted">{t('companion.adaptersIntro')}</p>
      {!adapters.length ? <p>{t('companion.noAdapters')}</p> : null}
      <ul className="flex flex-col gap-2">
        {adapters.map((adapter, i) => (
          <AdapterRow key={adapter.id} adapter={adapter} status={statuses[i]?.data} />
        ))}
      </ul>
      <Button className="self-start" onClick={() => start.mutate()} disabled={start.isPending || busy}>
        {t('companion.start')}
      </Button>
      {busy ? <p className="text-sm text-muted">{t('companion.busy')}</p> : null}
      <ErrorText>{start.error ? describeError(t, start.error) : null}</ErrorText>
    </Section>
  )
}

function AutoFineTune() {
  const { t } = useTranslation()
  const { me } = useAuth()
  const queryClient = useQueryClient()
  const [on, setOn] = useState(me?.preferences.autoFineTune ?? true)
  const [saved, setSaved] = useState(false)
  const patch = useMutation({
    mutationFn: (autoFineTune: boolean) => request<Me>('/api/users/me', { method: 'PATCH', body: { preferences: { autoFineTune } } }),
    onSuccess: (updated) => {
      queryClient.setQueryData(['me', updated.id], updated)
      setSaved(true)
    },
  })
  return (
    <Section title={t('companion.automatic')}>
      <Checkbox
        label={t('companion.automaticLabel')}
        checked={on}
        onChange={(checked) => {
          setOn(checked)
          setSaved(false)
          patch.mutate(checked)
        }}
      />
      <p className="text-sm text-muted">{t('companion.automaticNote')}</p>
      {saved ? <p role="status">{on ? t('companion.automaticOn') : t('companion.automaticOff')}</p> : null}
      <ErrorText>{patch.error ? describeError(t, patch.error) : null}</ErrorText>
    </Section>
  )
}

function AdminModels({ bases }: { bases: ModelItem[] }) {
  const { t } = useTranslation()
  const id = useId()
  const queryClient = useQueryClient()
  const current = bases.find((m) => m.default)?.name ?? ''
  const [choice, setChoice] = useState(current)
  const use = useMutation({
    mutationFn: (model: ModelItem) => request('/api/models/use', { method: 'POST', body: { model: model.name, provider: model.provider ?? 'transformers' } }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['models'] }),
  })
  const picked = bases.find((m) => m.name === (choice || current))
  return (
    <Section title={t('companion.admin')}>
      <table className="text-sm">
        <caption className="text-left font-medium">{t('companion.baseModels')}</caption>
        <thead>
          <tr>
            <th scope="col" className="pr-4 text-left">
              {t('companion.model')}
            </th>
            <th scope="col" className="pr-4 text-left">
              {t('companion.provider')}
            </th>
            <th scope="col" className="text-left">
              {t('companion.state')}
            </th>
          </tr>
        </thead>
        <tbody>
          {bases.map((model) => (
            <tr key={model.name}>
              <td className="pr-4">
                {model.name}
                {model.default ? ` (${t('companion.defaultBadge')})` : ''}
              </td>
              <td className="pr-4">{model.provider ?? '—'}</td>
              <td>
                {t(`models.status.${model.status}`, { defaultValue: model.status })}
                {model.reason ? ` · ${model.reason}` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="flex flex-wrap items-end gap-2">
        <div className="flex flex-col gap-1">
          <label htmlFor={id} className="font-medium">
            {t('companion.defaultModel')}
          </label>
          <select id={id} value={choice || current} onChange={(e) => setChoice(e.target.value)} className="min-h-11 rounded-lg border border-border bg-bg px-2 text-fg">
            {bases.map((model) => (
              <option key={model.name} value={model.name}>
                {model.name}
              </option>
            ))}
          </select>
        </div>
        <Button variant="secondary" disabled={!picked || picked.default || use.isPending} onClick={() => picked && use.mutate(picked)}>
          {t('companion.useForEveryone')}
        </Button>
      </div>
      <ErrorText>{use.error ? describeError(t, use.error) : null}</ErrorText>
    </Section>
  )
}

export default function Companion() {
  const { t } = useTranslation()
  const { isAdmin } = useAuth()
  useTitle(t('companion.nav'))
  const models = useQuery({
    queryKey: ['models'],
    queryFn: () => request<ModelItem[]>('/api/models'),
    refetchInterval: (query) => ((query.state.data ?? []).some((m) => m.kind === 'adapter' && inProgress(m.status)) ? POLL_MS * 2 : false),
  })
  const all = models.data ?? []
  const bases = all.filter((m) => m.kind === 'base')
  const adapters = all.filter((m) => m.kind === 'adapter')
  const base = bases.find((m) => m.default)
  const active = adapters.find((m) => m.active && (!base || m.baseModel === base.name))
  return (
    <div className="mx-auto flex max-w-3xl flex-col gap-4 p-4">
      <PageHeading>{t('companion.heading')}</PageHeading>
      <p className="text-muted">{t('companion.intro')}</p>
      {models.isLoading ? <p role="status">{t('common.loading')}</p> : null}
      <ErrorText>{models.error ? describeError(t, models.error) : null}</ErrorText>
      {models.data ? (
        <>
          <Section title={t('companion.whoAnswers')}>
            <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1">
              <dt className="font-medium">{t('companion.model')}</dt>
              <dd data-testid="answering-model">{base?.name ?? t('companion.noModel')}</dd>
              <dt className="font-medium">{t('companion.adapter')}</dt>
              <dd data-testid="answering-adapter">{active?.name ?? t('companion.noAdapter')}</dd>
            </dl>
          </Section>
          <Adapters adapters={adapters} />
          <AutoFineTune />
          {isAdmin ? <AdminModels bases={bases} /> : null}
        </>
      ) : null}
    </div>
  )
}
