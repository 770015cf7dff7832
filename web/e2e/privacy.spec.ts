import { expect, test, type Page } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { check, createAccount, uniqueEmail } from './helpers'

const PASSWORD = 'a long enough password'
// A note and key of another signer (tests/ledger/data, shared with the backend tests).
const FIXTURE = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'tests', 'ledger', 'data', 'signed_checkpoint.json'), 'utf8')) as {
  other_note: string
  other_verifier_key: string
}
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1280, height: 800 }

async function openPrivacy(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Privacy' }).click()
  await expect(page).toHaveTitle('Confidant — Privacy centre')
  await expect(page.getByRole('heading', { level: 1, name: 'Privacy centre' })).toBeVisible()
}

// How long one Verify may take, and how long the sequencer may take to sign a checkpoint
// over a test's writes. One Verify is short on a quiet machine and can take seconds on a
// loaded one; pressing Verify again before it ends starts it over, so a wait shorter than
// one Verify never passes.
const ONE_VERIFY_MS = 20_000
const COVERED_MS = 90_000

/** Press Verify until the sequencer has signed a checkpoint that covers the writes;
 *  the checkpoint's size N, from "Verified against checkpoint N". */
async function verifiedCheckpoint(page: Page): Promise<number> {
  const done = page.getByRole('status').filter({ hasText: /^Verified against checkpoint \d+/ })
  await expect(async () => {
    await page.getByRole('button', { name: 'Verify' }).click()
    await expect(done).toBeVisible({ timeout: ONE_VERIFY_MS })
  }).toPass({ timeout: COVERED_MS })
  const text = (await done.locator('p').first().textContent()) ?? ''
  return Number(/checkpoint (\d+)$/.exec(text)![1])
}

test('privacy centre: the audit trail verifies in the browser; a tampered proof, a tampered note and a changed key fail', async ({ page }) => {
  test.setTimeout(300_000) // fourteen axe runs and up to two waits for a checkpoint
  await page.setViewportSize(DESKTOP)
  await createAccount(page, 'An', uniqueEmail('privacy'), PASSWORD)
  // a write: a diary entry
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Diary' }).click()
  await page.getByRole('textbox', { name: 'Diary entry' }).fill('Walked along the river at dusk.')
  await page.getByRole('button', { name: 'Save' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible()

  await openPrivacy(page)
  const table = page.getByRole('table', { name: 'Audit trail entries' })
  await expect(table.getByRole('row').first()).toBeVisible()
  await expect(page.getByText('This device saw this key for the first time just now')).toBeVisible()
  const pinned = (await page.getByTestId('pinned-fingerprint').textContent())!.trim()
  expect(pinned).toMatch(/^([0-9a-f]{4} ){7}[0-9a-f]{4}$/)
  expect(await page.evaluate(() => localStorage.getItem('confidant.ledgerVerifierKey'))).toMatch(/\+[0-9a-f]{8}\+/)
  await check(page, 'privacy-trail')

  // Verify (it lists the trail afresh): once the sequencer has logged the diary write and
  // signed a checkpoint over it, it is verified in the browser
  const diaryWrite = table.getByRole('row').filter({ hasText: 'insert diary_entries' })
  await expect(async () => {
    await page.getByRole('button', { name: 'Verify' }).click()
    await expect(diaryWrite).toContainText(/Verified against checkpoint \d+/, { timeout: ONE_VERIFY_MS })
  }).toPass({ timeout: COVERED_MS })
  await expect(diaryWrite).toContainText('Data change')
  await expect(table.getByRole('row').filter({ hasText: 'POST /api/diary 201' })).toContainText('Request')
  await expect(table.getByRole('row').filter({ hasText: 'POST /api/auth/register 201' })).toContainText('Verified against checkpoint')
  const summary = page.getByRole('status').filter({ hasText: /^Verified against checkpoint \d+/ })
  const size = Number(/checkpoint (\d+)$/.exec((await summary.locator('p').first().textContent()) ?? '')![1])
  await expect(diaryWrite).toContainText(`Verified against checkpoint ${size}`)
  await expect(summary).toContainText(/\d+ entries are in the signed log, exactly as listed\./)
  await check(page, 'privacy-verified')
  await page.setViewportSize(PHONE)
  await check(page, 'privacy-verified-phone')
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width)
  await page.setViewportSize(DESKTOP)

  // a tampered inclusion proof: the first one asked for has a changed hash
  let tampered = 0
  await page.route('**/api/ledger/proof/inclusion?**', async (route) => {
    const response = await route.fetch()
    const body = (await response.json()) as { hashes: string[] }
    if (tampered++ === 0) body.hashes[0] = (body.hashes[0][0] === '0' ? '1' : '0') + body.hashes[0].slice(1)
    await route.fulfill({ response, json: body })
  })
  await page.getByRole('button', { name: 'Verify' }).click()
  const failure = page.getByRole('alert').filter({ hasText: 'Verification failed' })
  await expect(failure).toContainText(/The entry “[^”]+” \(log entry \d+\): its inclusion proof does not lead to the root of checkpoint \d+\./)
  await expect(failure.getByRole('listitem')).toHaveCount(1)
  await expect(failure).toContainText(/The other \d+ entries were verified against checkpoint \d+\./)
  await expect(table.getByRole('row').filter({ hasText: 'its inclusion proof does not lead to the root' })).toHaveCount(1)
  await check(page, 'privacy-proof-tampered')
  await page.unroute('**/api/ledger/proof/inclusion?**')

  // a tampered checkpoint note: its tree size changed, the signature no longer verifies
  await page.route('**/api/ledger/checkpoint', async (route) => {
    const response = await route.fetch()
    const body = (await response.json()) as { checkpoint: string }
    const lines = body.checkpoint.split('\n')
    lines[1] = String(Number(lines[1]) + 1)
    await route.fulfill({ response, json: { ...body, checkpoint: lines.join('\n') } })
  })
  await page.getByRole('button', { name: 'Verify' }).click()
  await expect(page.getByRole('alert').filter({ hasText: 'Verification failed' })).toContainText(
    "The checkpoint did not pass: the checkpoint's signature does not verify against the trusted key. No entry counts as verified.",
  )
  await expect(table.getByText(/^Verified against checkpoint/)).toHaveCount(0)
  await check(page, 'privacy-note-tampered')
  await page.unroute('**/api/ledger/checkpoint')

  // the server's key changes: a note signed by another key, with that key
  await page.route('**/api/ledger/checkpoint', async (route) => {
    const response = await route.fetch()
    const body = (await response.json()) as object
    await route.fulfill({ response, json: { ...body, checkpoint: FIXTURE.other_note, publicKey: FIXTURE.other_verifier_key } })
  })
  await page.getByRole('button', { name: 'Verify' }).click()
  await expect(page.getByRole('alert').filter({ hasText: 'Verification failed' })).toContainText(
    'The checkpoint did not pass: the server signs with a different key from the one this device trusts.',
  )
  const warning = page.getByRole('alert').filter({ hasText: "Warning: the log's key has changed" })
  await expect(warning).toContainText(`from the one this device trusts (${pinned})`)
  await expect(warning).not.toContainText(`(fingerprint ${pinned})`)
  await check(page, 'privacy-key-changed')
  await page.unroute('**/api/ledger/checkpoint')

  // or the pinned key is another one: the warning shows at once, before any Verify
  await page.evaluate((key) => localStorage.setItem('confidant.ledgerVerifierKey', key), FIXTURE.other_verifier_key)
  await page.reload()
  await expect(warning).toBeVisible()
  await page.getByRole('button', { name: 'Verify' }).click()
  await expect(page.getByRole('alert').filter({ hasText: 'Verification failed' })).toContainText('a different key from the one this device trusts')
  // trusting the server's key again (after the warning) makes it verify again
  await warning.getByRole('button', { name: 'Trust the new key' }).click()
  await expect(warning).toHaveCount(0)
  await expect(page.getByTestId('pinned-fingerprint')).toHaveText(pinned)
  await verifiedCheckpoint(page)

  // keyboard: Verify is reachable and works from the keyboard
  await page.getByRole('button', { name: 'Verify' }).focus()
  await page.keyboard.press('Enter')
  await expect(page.getByRole('status').filter({ hasText: /^Verified against checkpoint \d+/ })).toBeVisible()

  // in Vietnamese
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click()
  await page.getByLabel('Language').selectOption('vi')
  await page.getByRole('navigation', { name: 'Chính' }).getByRole('link', { name: 'Quyền riêng tư' }).click()
  await expect(page).toHaveTitle('Confidant — Trung tâm quyền riêng tư')
  await expect(page.getByRole('heading', { level: 1, name: 'Trung tâm quyền riêng tư' })).toBeVisible()
  await expect(page.getByRole('table', { name: 'Các mục trong nhật ký kiểm tra' })).toBeVisible()
  await page.getByRole('button', { name: 'Xác minh' }).click()
  await expect(page.getByRole('status').filter({ hasText: /^Đã xác minh với điểm kiểm tra \d+/ })).toBeVisible()
  await check(page, 'privacy-vi')
})

test('privacy centre: where data lives, download my data, this device, delete my account', async ({ page }) => {
  await page.setViewportSize(DESKTOP)
  const email = uniqueEmail('privacy-delete')
  await createAccount(page, 'Minh', email, PASSWORD)
  await openPrivacy(page)
  const where = page.getByRole('region', { name: 'Where your data lives' })
  await expect(where.getByRole('listitem').filter({ hasText: 'your diary entries' })).toBeVisible()
  await expect(where).toContainText('your key is destroyed first')

  const download = page.waitForEvent('download')
  await page.getByRole('region', { name: 'Download my data' }).getByRole('button', { name: 'Download my data' }).click()
  const file = await download
  expect(file.suggestedFilename()).toMatch(/^confidant-export-\d{4}-\d{2}-\d{2}\.json$/)
  const exported = JSON.parse(readFileSync((await file.path())!, 'utf8')) as { user: { profile: { name: string } }; security: { blockchainLogs: unknown[] } }
  expect(exported.user.profile.name).toBe('Minh')
  // the trail is in it (empty while the sequencer has not yet logged this new account)
  expect(Array.isArray(exported.security.blockchainLogs)).toBe(true)

  const device = page.getByRole('region', { name: 'What is kept on this device' })
  await expect(device.getByRole('listitem').filter({ hasText: 'confidant.accounts' })).toContainText('never a password')
  await expect(device.getByRole('listitem').filter({ hasText: 'confidant.ledgerVerifierKey' })).toContainText("the audit log's trusted key")

  // delete: a dialog, and nothing happens until the word is typed
  const region = page.getByRole('region', { name: 'Delete my account' })
  await region.getByRole('button', { name: 'Delete my account' }).click()
  const dialog = page.getByRole('dialog', { name: 'Delete your account?' })
  await expect(dialog).toBeVisible()
  const confirm = dialog.getByRole('button', { name: 'Delete my account for good' })
  await expect(confirm).toBeDisabled()
  await dialog.getByLabel('Type “delete” to confirm').fill('delet')
  await expect(confirm).toBeDisabled()
  await check(page, 'privacy-delete-dialog')
  await page.setViewportSize(PHONE)
  await check(page, 'privacy-delete-dialog-phone')
  await page.setViewportSize(DESKTOP)
  await page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()
  expect((await page.request.post('/api/auth/login', { data: { email, password: PASSWORD } })).status()).toBe(200)

  await region.getByRole('button', { name: 'Delete my account' }).click()
  await expect(dialog.getByLabel('Type “delete” to confirm')).toHaveValue('')
  await dialog.getByLabel('Type “delete” to confirm').fill('delete')
  await confirm.click()
  await expect(page).toHaveURL(/\/$/)
  expect((await page.request.post('/api/auth/login', { data: { email, password: PASSWORD } })).status()).toBe(401)
})
