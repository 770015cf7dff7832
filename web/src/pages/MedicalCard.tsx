import { useId, useState, type FormEvent } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { request } from '../api/client'
import { describeError } from '../api/errors'
import { useAuth } from '../auth/AuthProvider'
import { Button, Checkbox, ErrorText, Field, PageHeading } from '../components/ui'
import { useTitle } from '../components/useTitle'

export const BLOOD_TYPES = ['unknown', 'A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-'] as const
export const SHAREABLE = ['name', 'bloodType', 'allergies', 'conditions', 'medications', 'emergencyContacts', 'heightCm', 'weightKg', 'bmi'] as const
type Shareable = (typeof SHAREABLE)[number]

interface Contact {
  name: string
  phone: string
  relation?: string | null
}

export interface Card {
  heightCm: number | null
  weightKg: number | null
  bloodType: string
  allergies: string[]
  conditions: string[]
  medications: string[]
  emergencyContacts: Contact[]
  shareable: Shareable[]
  bmi: number | null
  bmiCategory: string | null
  updatedAt: string
}

const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean)

function ListField({ label, value, onChange, hint }: { label: string; value: string; onChange: (v: string) => void; hint: string }) {
  const id = useId()
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="font-medium">
        {label}
      </label>
      <textarea id={id} rows={3} value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={`${id}-hint`} className="rounded-lg border border-border bg-bg px-3 py-2 text-fg" />
      <p id={`${id}-hint`} className="text-sm text-muted">
        {hint}
      </p>
    </div>
  )
}

function EmergencyQr() {
  const { t } = useTranslation()
  const [image, setImage] = useState<string | null>(null)
  const [confirming, setConfirming] = useState(false)
  const make = useMutation({
    mutationFn: async () => {
      const response = await request<Response>('/api/qr?format=svg', { method: 'POST', raw: true })
      return URL.createObjectURL(await response.blob())
    },
    onSuccess: (url) => {
      setImage((old) => {
        if (old) URL.revokeObjectURL(old)
        return url
      })
      setConfirming(false)
    },
  })
  return (
    <div className="flex flex-col gap-3">
      {image ? <img src={image} alt={t('medical.qrAlt')} width={200} height={200} className="h-50 w-50 self-start rounded bg-white p-2" /> : <p className="no-print">{t('medical.qrNone')}</p>}
      <div className="no-print flex flex-col gap-2">
        {confirming ? (
          <div role="group" aria-label={t('medical.regenerate')} className="flex flex-col gap-2 rounded-lg border border-danger p-3">
            <p>{t('medical.regenerateWarning')}</p>
            <div className="flex gap-2">
              <Button onClick={() => make.mutate()} disabled={make.isPending}>
                {t('medical.regenerateConfirm')}
              </Button>
              <Button variant="secondary" onClick={() => setConfirming(false)}>
                {t('common.cancel')}
              </Button>
            </div>
          </div>
        ) : (
          <Button variant="secondary" className="self-start" onClick={() => setConfirming(true)}>
            {t('medical.regenerate')}
          </Button>
        )}
        <p className="text-sm text-muted">{t('medical.regenerateNote')}</p>
        <ErrorText>{make.error ? describeError(t, make.error) : null}</ErrorText>
      </div>
    </div>
  )
}

function CardForm({ card }: { card: Card }) {
  const { t, i18n } = useTranslation()
  const queryClient = useQueryClient()
  const { me } = useAuth()
  const [height, setHeight] = useState(card.heightCm?.toString() ?? '')
  const [weight, setWeight] = useState(card.weightKg?.toString() ?? '')
  const [bloodType, setBloodType] = useState(card.bloodType || 'unknown')
  const [allergies, setAllergies] = useState(card.allergies.join('\n'))
  const [conditions, setConditions] = useState(card.conditions.join('\n'))
  const [medications, setMedications] = useState(card.medications.join('\n'))
  const [contacts, setContacts] = useState<Contact[]>(card.emergencyContacts)
  const [shareable, setShareable] = useState<Shareable[]>(card.shareable)
  const [saved, setSaved] = useState(false)
  const bloodId = useId()
  const save = useMutation({
    mutationFn: () =>
      request<Card>('/api/users/me/medical-card', {
        method: 'PATCH',
        body: {
          heightCm: height ? Number(height) : null,
          weightKg: weight ? Number(weight) : null,
          bloodType,
          allergies: lines(allergies),
          conditions: lines(conditions),
          medications: lines(medications),
          emergencyContacts: contacts.filter((c) => c.name.trim() && c.phone.trim()).map((c) => ({ ...c, relation: c.relation || null })),
          shareable,
        },
      }),
    onSuccess: (updated) => {
      queryClient.setQueryData(['medical-card'], updated)
      setSaved(true)
    },
  })
  const submit = (event: FormEvent) => {
    event.preventDefault()
    setSaved(false)
    save.mutate()
  }
  const fmt = new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 1 })
  const setContact = (index: number, patch: Partial<Contact>) => setContacts((all) => all.map((c, i) => (i === index ? { ...c, ...patch } : c)))
  return (
    <>
      <form onSubmit={submit} className="no-print flex flex-col gap-4">
        <div className="flex flex-wrap gap-3">
          <Field label={t('medical.height')} type="number" inputMode="decimal" step="0.1" min={40} max={275} value={height} onChange={(e) => setHeight(e.target.value)} className="w-40" />
          <Field label={t('medical.weight')} type="number" inputMode="decimal" step="0.1" min={2} max={650} value={weight} onChange={(e) => setWeight(e.target.value)} className="w-40" />
          <div className="flex flex-col gap-1">
            <label htmlFor={bloodId} className="font-medium">
              {t('medical.bloodType')}
            </label>
            <select id={bloodId} value={bloodType} onChange={(e) => setBloodType(e.target.value)} className="min-h-11 rounded-lg border border-border bg-bg px-2 text-fg">
              {BLOOD_TYPES.map((type) => (
                <option key={type} value={type}>
                  {type === 'unknown' ? t('medical.bloodUnknown') : type}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div role="status" className="rounded-lg bg-surface p-3">
          {card.bmi !== null ? (
            <p>
              {t('medical.bmiIs', { bmi: fmt.format(card.bmi) })}{' '}
              {card.bmiCategory ? t(`medical.bmiCategories.${card.bmiCategory}`, { defaultValue: card.bmiCategory }) : null}
            </p>
          ) : (
            <p>{t('medical.bmiNone')}</p>
          )}
          <p className="text-sm text-muted">{t('medical.bmiNote')}</p>
        </div>
        <ListField label={t('medical.allergies')} value={allergies} onChange={setAllergies} hint={t('medical.onePerLine')} />
        <ListField label={t('medical.conditions')} value={conditions} onChange={setConditions} hint={t('medical.onePerLine')} />
        <ListField label={t('medical.medications')} value={medications} onChange={setMedications} hint={t('medical.onePerLine')} />
        <fieldset className="flex flex-col gap-3">
          <legend className="font-medium">{t('medical.contacts')}</legend>
          {contacts.map((contact, index) => (
            <div key={index} role="group" aria-label={t('medical.contactN', { n: index + 1 })} className="flex flex-wrap items-end gap-2 rounded-lg border border-border p-2">
              <Field label={t('medical.contactName')} value={contact.name} onChange={(e) => setContact(index, { name: e.target.value })} />
              <Field label={t('medical.contactPhone')} type="tel" value={contact.phone} onChange={(e) => setContact(index, { phone: e.target.value })} />
              <Field label={t('medical.contactRelation')} value={contact.relation ?? ''} onChange={(e) => setContact(index, { relation: e.target.value })} />
              <Button variant="secondary" onClick={() => setContacts((all) => all.filter((_, i) => i !== index))}>
                {t('medical.removeContact')}
              </Button>
            </div>
          ))}
          <Button variant="secondary" className="self-start" onClick={() => setContacts((all) => [...all, { name: '', phone: '', relation: '' }])}>
            {t('medical.addContact')}
          </Button>
        </fieldset>
        <fieldset className="flex flex-col gap-1">
          <legend className="font-medium">{t('medical.shareable')}</legend>
          <p className="text-sm text-muted">{t('medical.shareableNote')}</p>
          <div className="grid grid-cols-1 gap-1 sm:grid-cols-3">
            {SHAREABLE.map((field) => (
              <Checkbox
                key={field}
                label={t(`medical.fields.${field}`)}
                checked={shareable.includes(field)}
                onChange={(checked) => setShareable((all) => (checked ? [...all, field] : all.filter((f) => f !== field)))}
              />
            ))}
          </div>
        </fieldset>
        <ErrorText>{save.error ? describeError(t, save.error) : null}</ErrorText>
        {saved ? <p role="status">{t('medical.saved')}</p> : null}
        <Button type="submit" className="self-start" disabled={save.isPending}>
          {t('common.save')}
        </Button>
      </form>

      <section aria-labelledby="printable" className="print-card flex flex-col gap-3 rounded-lg border-2 border-fg p-4">
        <h2 id="printable" className="text-xl font-bold">
          {t('medical.printable')}
        </h2>
        <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1">
          {me?.profile.name ? (
            <>
              <dt className="font-medium">{t('medical.fields.name')}</dt>
              <dd>{me.profile.name}</dd>
            </>
          ) : null}
          <dt className="font-medium">{t('medical.bloodType')}</dt>
          <dd>{card.bloodType === 'unknown' ? t('medical.bloodUnknown') : card.bloodType}</dd>
          <dt className="font-medium">{t('medical.allergies')}</dt>
          <dd>{card.allergies.join(', ') || '—'}</dd>
          <dt className="font-medium">{t('medical.conditions')}</dt>
          <dd>{card.conditions.join(', ') || '—'}</dd>
          <dt className="font-medium">{t('medical.medications')}</dt>
          <dd>{card.medications.join(', ') || '—'}</dd>
          <dt className="font-medium">{t('medical.contacts')}</dt>
          <dd>
            {card.emergencyContacts.length
              ? card.emergencyContacts.map((c) => `${c.name}${c.relation ? ` (${c.relation})` : ''}: ${c.phone}`).join('; ')
              : '—'}
          </dd>
        </dl>
        <EmergencyQr />
        <Button variant="secondary" className="no-print self-start" onClick={() => window.print()}>
          {t('medical.print')}
        </Button>
      </section>
    </>
  )
}

export default function MedicalCard() {
  const { t } = useTranslation()
  useTitle(t('nav.medicalCard'))
  const card = useQuery({ queryKey: ['medical-card'], queryFn: () => request<Card>('/api/users/me/medical-card') })
  return (
    <div className="mx-auto flex max-w-3xl flex-col gap-4 p-4">
      <PageHeading>{t('nav.medicalCard')}</PageHeading>
      <p className="no-print text-muted">{t('medical.intro')}</p>
      {card.isLoading ? <p role="status">{t('common.loading')}</p> : null}
      <ErrorText>{card.error ? describeError(t, card.error) : null}</ErrorText>
      {card.data ? <CardForm card={card.data} /> : null}
    </div>
  )
}
