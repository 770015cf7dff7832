import { useEffect, useId, useRef, useState, type FormEvent } from 'react'
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { describeDeviceStorage } from '../offline/device'
import { useNavigate } from 'react-router'
import type { TFunction } from 'i18next'
import { ApiError, request } from '../api/client'
import { describeError } from '../api/errors'
import { downloadMyData } from '../api/export'
import { forgetAccount } from '../auth/accounts'
import { useAuth } from '../auth/AuthProvider'
import { Button, ErrorText, Field, PageHeading } from '../components/ui'
import { useTitle } from '../components/useTitle'
import { PINNED_KEY_STORAGE, pinnedKey, repin, type Pin } from '../privacy/pin'
import { verifyTrail, type AuditItem, type AuditPage, type CheckpointOut, type InclusionProofOut, type LeafResult, type TrailReport } from '../privacy/trail'
import { fingerprint, fromBase64, parseVerifierKey, type VerifyCode } from '../privacy/verify'

const PAGE = 50

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

const fetchCheckpoint = () => request<CheckpointOut>('/api/ledger/checkpoint', { auth: false })
const fetchInclusion = (leafHash: string, treeSize: bigint) =>
  request<InclusionProofOut>(`/api/ledger/proof/inclusion?leaf_hash=${leafHash}&tree_size=${treeSize}`, { auth: false })

/** 'api' (a call) or 'row' (a write), read from the leaf's own bytes. */
function leafKind(item: AuditItem): 'api' | 'row' | null {
  try {
    const bytes = fromBase64(item.leaf)
    if (!bytes) return null
    const kind = (JSON.parse(new TextDecoder().decode(bytes)) as { kind?: unknown }).kind
    return kind === 'api' || kind === 'row' ? kind : null
  } catch {
    return null
  }
}

async function keyFingerprint(text: string): Promise<string> {
  try {
    return await fingerprint(await parseVerifierKey(text))
  } catch {
    return text
  }
}

interface KeyState {
  pin: Pin
  served: string
  pinnedPrint: string
  servedPrint: string
}

function useLogKey() {
  return useQuery({
    queryKey: ['ledger-key'],
    queryFn: async (): Promise<KeyState> => {
      const served = (await fetchCheckpoint()).publicKey
      const pin = pinnedKey(served)
      return { pin, served, pinnedPrint: await keyFingerprint(pin.key), servedPrint: await keyFingerprint(served) }
    },
    retry: false,
  })
}

function KeyPanel({ state, onRepinned }: { state: KeyState; onRepinned: () => void }) {
  const { t } = useTranslation()
  const changed = state.pin.key !== state.served
  const origin = state.pin.key.split('+')[0]
  return (
    <div className="flex flex-col gap-2">
      <p>
        {t('privacy.keyIntro', { origin })}{' '}
        <span className="font-mono break-all" data-testid="pinned-fingerprint">
          {state.pinnedPrint}
        </span>
      </p>
      <p className="text-sm text-muted">
        {state.pin.source === 'build' ? t('privacy.keyFromBuild') : state.pin.new ? t('privacy.keyFirstSeenNow') : t('privacy.keyFirstSeen')}
      </p>
      {changed ? (
        <div role="alert" className="flex flex-col gap-2 rounded-lg border-2 border-danger bg-danger-soft p-3 text-danger">
          <p className="font-semibold">{t('privacy.keyChangedTitle')}</p>
          <p>{t('privacy.keyChanged', { pinned: state.pinnedPrint, served: state.servedPrint })}</p>
          {state.pin.source === 'firstUse' ? (
            <>
              <p>{t('privacy.keyRepinNote')}</p>
              <Button
                variant="secondary"
                className="self-start"
                onClick={() => {
                  repin(state.served)
                  onRepinned()
                }}
              >
                {t('privacy.keyRepin')}
              </Button>
            </>
          ) : (
            <p>{t('privacy.keyBuildNote')}</p>
          )}
        </div>
      ) : null}
    </div>
  )
}

function failureText(t: TFunction, code: VerifyCode, extra: Record<string, unknown> = {}): string {
  return t(`privacy.errors.${code}`, extra)
}

function Summary({ report, items }: { report: TrailReport; items: AuditItem[] }) {
  const { t } = useTranslation()
  if (report.kind === 'checkpointFailed') {
    return (
      <div role="alert" className="rounded-lg border-2 border-danger bg-danger-soft p-3 text-danger">
        <p className="font-semibold">{t('privacy.failedTitle')}</p>
        <p>{t('privacy.checkpointFailed', { reason: failureText(t, report.error.code) })}</p>
      </div>
    )
  }
  const size = report.checkpoint.treeSize.toString()
  const failures = report.leaves.flatMap((leaf, index) => (leaf.status === 'failed' ? [{ leaf, item: items[index] }] : []))
  if (failures.length) {
    return (
      <div role="alert" className="flex flex-col gap-1 rounded-lg border-2 border-danger bg-danger-soft p-3 text-danger">
        <p className="font-semibold">{t('privacy.failedTitle')}</p>
        <ul className="list-disc pl-5">
          {failures.map(({ leaf, item }) => (
            <li key={leaf.txId}>
              {t('privacy.leafFailed', {
                action: item.action,
                index: item.leafIndex,
                reason: leaf.status === 'failed' ? failureText(t, leaf.error.code, { size }) : '',
              })}
            </li>
          ))}
        </ul>
        {report.verified ? <p>{t('privacy.othersVerified', { count: report.verified, size })}</p> : null}
      </div>
    )
  }
  if (report.verified === 0) {
    return (
      <p role="status" className="rounded-lg bg-surface p-3">
        {t('privacy.noneCovered', { size })}
      </p>
    )
  }
  return (
    <div role="status" className="flex flex-col gap-1 rounded-lg border-2 border-accent bg-surface p-3">
      <p className="font-semibold">{t('privacy.verifiedAgainst', { size })}</p>
      <p>
        {t('privacy.verifiedCount', { count: report.verified })}
        {report.pending ? ` ${t('privacy.pendingCount', { count: report.pending })}` : ''}
      </p>
    </div>
  )
}

function statusText(t: TFunction, result: LeafResult | undefined, size: string | null): string {
  if (!result) return t('privacy.notChecked')
  if (result.status === 'verified') return t('privacy.leafVerified', { size })
  if (result.status === 'pending') return t('privacy.leafPending')
  return failureText(t, result.error.code, { size })
}

function AuditTrail({ keyState, onRepinned }: { keyState: KeyState | undefined; onRepinned: () => void }) {
  const { t, i18n } = useTranslation()
  const trail = useInfiniteQuery({
    queryKey: ['audit'],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      request<AuditPage>(`/api/users/me/audit?limit=${PAGE}${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`),
    getNextPageParam: (last) => last.nextCursor,
  })
  const items = trail.data?.pages.flatMap((page) => page.items) ?? []
  const [report, setReport] = useState<{ report: TrailReport; items: AuditItem[] } | null>(null)
  const queryClient = useQueryClient()
  const verify = useMutation({
    mutationFn: async () => {
      setReport(null)
      // The list as it is now (newer entries may have come in), then every check here.
      const fresh = await trail.refetch()
      const listed = fresh.data?.pages.flatMap((page) => page.items) ?? []
      const served = await fetchCheckpoint()
      const pin = pinnedKey(served.publicKey)
      const result = await verifyTrail(listed, pin.key, {
        checkpoint: async () => served,
        inclusion: fetchInclusion,
      })
      return { report: result, items: listed }
    },
    onSuccess: (result) => {
      setReport(result)
      // the key panel shows what the server signs with now (a changed key warns there)
      void queryClient.invalidateQueries({ queryKey: ['ledger-key'] })
    },
  })
  const results = new Map<string, LeafResult>()
  if (report?.report.kind === 'checked') for (const leaf of report.report.leaves) results.set(leaf.txId, leaf)
  const size = report?.report.kind === 'checked' ? report.report.checkpoint.treeSize.toString() : null
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'medium' })
  const formatTime = (value: string) => {
    const date = new Date(value)
    return Number.isNaN(date.getTime()) ? value : when.format(date)
  }
  return (
    <>
      <p>{t('privacy.trailIntro')}</p>
      {keyState ? <KeyPanel state={keyState} onRepinned={onRepinned} /> : null}
      <div className="flex flex-wrap items-center gap-2">
        <Button onClick={() => verify.mutate()} disabled={verify.isPending}>
          {t('privacy.verify')}
        </Button>
        {verify.isPending ? <span role="status">{t('privacy.verifying')}</span> : null}
      </div>
      <p className="text-sm text-muted">{t('privacy.verifyNote')}</p>
      <ErrorText>{verify.error ? (verify.error instanceof ApiError && verify.error.status === 404 ? t('privacy.noCheckpoint') : describeError(t, verify.error)) : null}</ErrorText>
      {report ? <Summary report={report.report} items={report.items} /> : null}
      {trail.isLoading ? <p role="status">{t('common.loading')}</p> : null}
      <ErrorText>{trail.error ? describeError(t, trail.error) : null}</ErrorText>
      {trail.data && !items.length ? <p>{t('privacy.trailEmpty')}</p> : null}
      {items.length ? (
        <div className="overflow-x-auto" tabIndex={0} role="region" aria-label={t('privacy.trailTable')}>
          <table className="w-full border-collapse text-left text-sm">
            <caption className="sr-only">{t('privacy.trailTable')}</caption>
            <thead>
              <tr className="border-b border-border">
                <th scope="col" className="hidden p-2 sm:table-cell">{t('privacy.colWhen')}</th>
                <th scope="col" className="hidden p-2 sm:table-cell">{t('privacy.colKind')}</th>
                <th scope="col" className="p-2">{t('privacy.colAction')}</th>
                <th scope="col" className="p-2">{t('privacy.colLeaf')}</th>
                <th scope="col" className="p-2">{t('privacy.colCheck')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => {
                const kind = leafKind(item)
                const result = results.get(item.txId)
                const kindText = kind === 'api' ? t('privacy.kindCall') : kind === 'row' ? t('privacy.kindWrite') : '—'
                return (
                  <tr key={item.txId} className="border-b border-border align-top">
                    <td className="hidden p-2 whitespace-nowrap sm:table-cell">{formatTime(item.timestamp)}</td>
                    <td className="hidden p-2 sm:table-cell">{kindText}</td>
                    <td className="p-2">
                      <span className="font-mono [overflow-wrap:anywhere]">{item.action}</span>
                      {/* phones: the two hidden columns, under the action */}
                      <span className="block text-muted sm:hidden">
                        {kindText}, {formatTime(item.timestamp)}
                      </span>
                    </td>
                    <td className="p-2">
                      <span className="sr-only">{t('privacy.leafNumber')} </span>
                      {item.leafIndex}
                    </td>
                    <td className={result?.status === 'failed' ? 'p-2 font-medium text-danger' : 'p-2'}>{statusText(t, result, size)}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      {trail.hasNextPage ? (
        <Button variant="secondary" className="self-start" onClick={() => void trail.fetchNextPage()} disabled={trail.isFetchingNextPage}>
          {t('privacy.older')}
        </Button>
      ) : null}
    </>
  )
}

function DownloadData() {
  const { t } = useTranslation()
  const download = useMutation({
    mutationFn: downloadMyData,
  })
  return (
    <>
      <p>{t('privacy.exportNote')}</p>
      <Button variant="secondary" className="self-start" onClick={() => download.mutate()} disabled={download.isPending}>
        {t('privacy.export')}
      </Button>
      <ErrorText>{download.error ? describeError(t, download.error) : null}</ErrorText>
    </>
  )
}

const DATA_KINDS = ['profile', 'chats', 'diary', 'mood', 'checkins', 'medical', 'sensors', 'voice', 'model'] as const

function WhereDataLives() {
  const { t } = useTranslation()
  return (
    <>
      <p>{t('privacy.whereIntro')}</p>
      <ul className="list-disc pl-5">
        {DATA_KINDS.map((kind) => (
          <li key={kind}>{t(`privacy.kinds.${kind}`)}</li>
        ))}
      </ul>
      <p>{t('privacy.whereSearch')}</p>
      <p>{t('privacy.whereLedger')}</p>
      <p>{t('privacy.whereKeys')}</p>
    </>
  )
}

export interface DeviceStorageEntry {
  storage: 'local' | 'session'
  key: string
  bytes: number
}

const KNOWN_KEYS: Record<string, string> = {
  'confidant.theme': 'theme',
  'confidant.language': 'language',
  'confidant.accounts': 'accounts',
  'confidant.autoPlay': 'autoPlay',
  'confidant.crisis': 'crisis',
  [PINNED_KEY_STORAGE]: 'ledgerKey',
}

/** This app's keys in the browser's key-value storage; what IndexedDB and the service
 *  worker keep comes from describeDeviceStorage() (web/src/offline/). */
export function deviceStorageSummary(): DeviceStorageEntry[] {
  const entries: DeviceStorageEntry[] = []
  const read = (storage: Storage | undefined, kind: 'local' | 'session') => {
    if (!storage) return
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i)
      if (key === null || !key.startsWith('confidant.')) continue
      entries.push({ storage: kind, key, bytes: (storage.getItem(key) ?? '').length })
    }
  }
  try {
    read(globalThis.localStorage, 'local')
    read(globalThis.sessionStorage, 'session')
  } catch {
    // storage blocked: nothing can be kept here either
  }
  return entries.sort((a, b) => a.key.localeCompare(b.key))
}

function OnThisDevice() {
  const { t } = useTranslation()
  // read on every render: the page itself may have just pinned the log's key
  const entries = deviceStorageSummary()
  const kept = useQuery({ queryKey: ['device-storage'], queryFn: describeDeviceStorage, networkMode: 'always' })
  const files = kept.data?.appShell.reduce((sum, cache) => sum + cache.files, 0) ?? 0
  return (
    <>
      <p>{t('privacy.deviceIntro')}</p>
      {kept.data && (
        <ul className="list-disc pl-5">
          {kept.data.stores.map((store) => (
            <li key={store.name}>
              {t(store.labelKey)}: {store.count}
            </li>
          ))}
          {files > 0 && <li>{t('privacy.deviceAppShell', { count: files })}</li>}
        </ul>
      )}
      {entries.length ? (
        <ul className="list-disc pl-5">
          {entries.map((entry) => (
            <li key={`${entry.storage}:${entry.key}`}>
              <span className="font-mono">{entry.key}</span>
              {': '}
              {KNOWN_KEYS[entry.key] ? t(`privacy.deviceKeys.${KNOWN_KEYS[entry.key]}`) : t('privacy.deviceKeys.other')}{' '}
              <span className="text-muted">({entry.storage === 'local' ? t('privacy.deviceLocal') : t('privacy.deviceSession')})</span>
            </li>
          ))}
        </ul>
      ) : (
        <p>{t('privacy.deviceNone')}</p>
      )}
      <p className="text-sm text-muted">{t('privacy.deviceTokens')}</p>
    </>
  )
}

function DeleteAccount({ userId }: { userId: string }) {
  const { t } = useTranslation()
  const { logout } = useAuth()
  const navigate = useNavigate()
  const dialog = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  const [typed, setTyped] = useState('')
  const word = t('privacy.deleteWord')
  const matches = typed.trim().toLowerCase() === word.toLowerCase()
  const remove = useMutation({
    mutationFn: () => request('/api/users/me', { method: 'DELETE' }),
    onSuccess: async () => {
      dialog.current?.close()
      forgetAccount(userId)
      await logout().catch(() => undefined)
      navigate('/', { replace: true })
    },
  })
  useEffect(() => {
    const element = dialog.current
    const reset = () => setTyped('')
    element?.addEventListener('close', reset)
    return () => element?.removeEventListener('close', reset)
  }, [])
  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (matches) remove.mutate()
  }
  return (
    <>
      <p>{t('privacy.deleteNote')}</p>
      <Button variant="danger" className="self-start" onClick={() => dialog.current?.showModal()}>
        {t('privacy.deleteAccount')}
      </Button>
      <dialog ref={dialog} aria-labelledby={titleId} className="m-auto w-[min(32rem,calc(100%-2rem))] rounded-lg border border-border bg-bg p-4 text-fg backdrop:bg-black/60">
        <form onSubmit={submit} className="flex flex-col gap-3">
          <h2 id={titleId} className="text-xl font-semibold">
            {t('privacy.deleteTitle')}
          </h2>
          <p className="font-medium text-danger">{t('privacy.deleteWarning')}</p>
          <Field label={t('privacy.deleteType', { word })} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
          <ErrorText>{remove.error ? describeError(t, remove.error) : null}</ErrorText>
          <div className="flex flex-wrap gap-2">
            <Button type="submit" variant="danger" disabled={!matches || remove.isPending}>
              {t('privacy.deleteConfirm')}
            </Button>
            <Button variant="secondary" onClick={() => dialog.current?.close()}>
              {t('common.cancel')}
            </Button>
          </div>
        </form>
      </dialog>
    </>
  )
}

export default function Privacy() {
  const { t } = useTranslation()
  useTitle(t('privacy.title'))
  const { me } = useAuth()
  const key = useLogKey()
  return (
    <div className="mx-auto flex max-w-4xl flex-col gap-4 p-4">
      <PageHeading>{t('privacy.title')}</PageHeading>
      <p className="text-muted">{t('privacy.intro')}</p>
      <Section title={t('privacy.trailHeading')}>
        {key.error ? <ErrorText>{key.error instanceof ApiError && key.error.status === 404 ? t('privacy.noCheckpoint') : describeError(t, key.error)}</ErrorText> : null}
        <AuditTrail keyState={key.data} onRepinned={() => void key.refetch()} />
      </Section>
      <Section title={t('privacy.whereHeading')}>
        <WhereDataLives />
      </Section>
      <Section title={t('privacy.exportHeading')}>
        <DownloadData />
      </Section>
      <Section title={t('privacy.deviceHeading')}>
        <OnThisDevice />
      </Section>
      {me ? (
        <Section title={t('privacy.deleteAccount')}>
          <DeleteAccount userId={me.id} />
        </Section>
      ) : null}
    </div>
  )
}
