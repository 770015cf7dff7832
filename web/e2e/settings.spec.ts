import { expect, test } from '@playwright/test'
import { check, createAccount, uniqueEmail } from './helpers'

const PASSWORD = 'a long enough password'

test('settings: profile and avatar, theme at once, language, devices, API keys, export, delete account', async ({ page, browser }) => {
  const email = uniqueEmail('settings')
  await createAccount(page, 'Thu', email, PASSWORD)
  // a second device, to sign out from here
  const other = await (await browser.newContext()).newPage()
  await other.goto('/sign-in')
  await other.getByLabel('Email').fill(email)
  await other.getByLabel('Password').fill(PASSWORD)
  await other.getByRole('button', { name: 'Sign in' }).click()
  await expect(other).toHaveURL(/\/dashboard$/)

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click()
  await expect(page).toHaveTitle('Confidant — Settings')
  await check(page, 'settings-account')

  // profile and avatar
  await page.getByLabel('Name', { exact: true }).fill('Thu Nguyen')
  await page.getByRole('button', { name: 'Save profile' }).click()
  await expect(page.getByText('Your profile is saved.')).toBeVisible()
  const picture = await page.getByRole('heading', { name: 'Settings' }).screenshot()
  await page.getByLabel('Upload a picture').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: picture })
  await expect(page.getByRole('img', { name: 'Your avatar' })).toBeVisible()

  // theme applies at once and is kept
  await page.getByRole('radio', { name: 'Dark' }).check()
  await expect(page.locator('html')).toHaveClass(/dark/)
  await page.reload()
  await expect(page.locator('html')).toHaveClass(/dark/)
  await expect(page.getByRole('radio', { name: 'Dark' })).toBeChecked()
  await page.getByRole('radio', { name: 'Light' }).check()
  await expect(page.locator('html')).not.toHaveClass(/dark/)

  // time zone and the switches
  await page.getByLabel('Time zone').selectOption('Asia/Tokyo')
  await page.getByRole('checkbox', { name: 'Remember my chats' }).uncheck()
  await page.reload()
  await expect(page.getByLabel('Time zone')).toHaveValue('Asia/Tokyo')
  await expect(page.getByRole('checkbox', { name: 'Remember my chats' })).not.toBeChecked()

  // signed-in devices: sign the other one out
  const devices = page.getByRole('region', { name: 'Signed-in devices' })
  await expect(devices.getByRole('listitem')).toHaveCount(2)
  await expect(devices.getByText('this device')).toBeVisible()
  await devices.getByRole('button', { name: /^Sign out the device/ }).click()
  await expect(devices.getByRole('listitem')).toHaveCount(1)
  await other.reload()
  await expect(other).toHaveURL(/\/$/)

  // API keys: shown once, then only the prefix; revoke
  const keys = page.getByRole('region', { name: 'Personal API keys' })
  await keys.getByLabel('Key name').fill('laptop')
  await keys.getByRole('button', { name: 'Create key' }).click()
  await expect(keys.getByText('it is shown only once')).toBeVisible()
  const key = (await keys.locator('[role=status] code').textContent()) ?? ''
  expect(key.length).toBeGreaterThan(20)
  await expect(keys.getByRole('listitem')).toHaveCount(1)
  await check(page, 'settings-key')
  await keys.getByRole('button', { name: 'Revoke the key laptop' }).click()
  await expect(keys.getByRole('listitem')).toHaveCount(0)

  // download my data
  const downloading = page.waitForEvent('download')
  await page.getByRole('button', { name: 'Download my data' }).click()
  const download = await downloading
  expect(download.suggestedFilename()).toMatch(/^confidant-export-.*\.json$/)
  const exported = JSON.parse(await (await download.createReadStream()).toArray().then((c) => Buffer.concat(c).toString()))
  expect(exported).toHaveProperty('meta')

  // delete: typed confirmation, says it cannot be undone
  const danger = page.getByRole('region', { name: 'Delete my account' })
  await expect(danger).toContainText('cannot be undone')
  const remove = danger.getByRole('button', { name: 'Delete my account' })
  await expect(remove).toBeDisabled()
  await danger.getByLabel('Type “delete” to confirm').fill('delete')
  await remove.click()
  await expect(page).toHaveURL(/\/$/)
  await page.goto('/sign-in')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('alert')).toHaveText('That email and password do not match an account.')
})

test('settings as a guest: the way to an account, preferences, no PIN or keys', async ({ page }) => {
  await page.goto('/')
  await page.getByRole('button', { name: 'Continue as guest' }).click()
  await expect(page).toHaveURL(/\/chat\/[\w-]+$/)
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click()
  await expect(page.getByRole('main').getByRole('link', { name: 'Create account' })).toBeVisible()
  await expect(page.getByRole('region', { name: 'Personal API keys' })).toHaveCount(0)
  await check(page, 'settings-guest')
})
