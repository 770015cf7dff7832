import { chromium, expect, test, type Page } from '@playwright/test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { check, createAccount, screenshot, uniqueEmail } from './helpers'

const PASSWORD = 'correct horse battery'

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click()
  await expect(page).toHaveURL(/\/$/)
}

async function setPin(page: Page, pin: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click()
  await page.getByLabel('New PIN').fill(pin)
  await page.getByRole('button', { name: 'Set PIN' }).click()
  await expect(page.getByText('Your PIN is set.')).toBeVisible()
}

test('sign up, sign out, sign in with the password (a wrong one first)', async ({ page }) => {
  const email = uniqueEmail('signup')
  await page.goto('/create-account')
  await expect(page).toHaveTitle('Confidant — Create account')
  await check(page, 'create-account')
  await createAccount(page, 'Lan', email, PASSWORD)
  await expect(page.getByRole('banner').getByRole('button', { name: 'Create account' })).toHaveCount(0)
  // the session survives a reload (the refresh cookie), the token is not in storage
  await page.reload()
  await expect(page.getByRole('log', { name: 'Conversation' })).toBeVisible()
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie)
  expect(stored).not.toMatch(/eyJ/)
  await signOut(page)
  await page.goto('/sign-in')
  await expect(page).toHaveTitle('Confidant — Sign in')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill('not the password')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('alert')).toHaveText('That email and password do not match an account.')
  await check(page, 'sign-in-error')
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page).toHaveURL(/\/dashboard$/)
  // signed out for real: a reload does not bring the session back
  await signOut(page)
  await page.goto('/settings')
  await expect(page).toHaveURL(/\/$/)
})

test('PIN: set it, sign in with the remembered account and the pad; lockout in words', async ({ page }) => {
  const email = uniqueEmail('pin')
  await createAccount(page, 'Minh', email, PASSWORD)
  await setPin(page, '2468')
  await check(page, 'settings')
  await signOut(page)
  await page.goto('/sign-in/pin')
  await expect(page).toHaveTitle('Confidant — Sign in with your PIN')
  await expect(page.getByRole('radio', { name: `Minh (${email})` })).toBeChecked()
  // keyboard only: Tab to the pad, Enter on the digits
  const pad = page.getByRole('group', { name: 'PIN pad' })
  await pad.getByRole('button', { name: '1', exact: true }).focus()
  for (const digit of ['1', '1', '1', '1']) {
    await pad.getByRole('button', { name: digit, exact: true }).focus()
    await page.keyboard.press('Enter')
  }
  await expect(page.getByLabel('PIN', { exact: true })).toHaveValue('1111')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('alert')).toHaveText('That PIN is not right.')
  await check(page, 'pin-wrong')
  for (const digit of '2468') await pad.getByRole('button', { name: digit, exact: true }).click()
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page).toHaveURL(/\/dashboard$/)

  // five wrong PINs lock PIN sign-in for this account: said in words
  await signOut(page)
  await page.goto('/sign-in/pin')
  const field = page.getByLabel('PIN', { exact: true })
  for (let i = 0; i < 5; i++) {
    await field.fill('0000')
    await field.press('Enter')
    await expect(page.getByRole('alert')).toBeVisible()
  }
  await field.fill('2468')
  await field.press('Enter')
  await expect(page.getByRole('alert')).toHaveText(/^PIN sign-in is locked for 15 minutes/)
  await screenshot(page, 'pin-locked')
})

/** The sign-in QR as a PNG, as a phone's photo of the screen would be. */
async function showQr(page: Page): Promise<Buffer> {
  await page.goto('/settings')
  await page.getByRole('link', { name: 'Sign in on another device' }).click()
  await expect(page).toHaveTitle('Confidant — Sign in on another device')
  const image = page.getByRole('img', { name: 'Sign-in QR code' })
  await expect(image).toBeVisible()
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true)
  return image.screenshot()
}

test('QR: a second device signs in from an uploaded photo of the code; a used code is refused', async ({ page, browser }) => {
  await createAccount(page, 'Hoa', uniqueEmail('qr'), PASSWORD)
  const other = await browser.newContext()
  const second = await other.newPage()
  await second.goto('/sign-in/qr')
  await expect(second).toHaveTitle('Confidant — Sign in with a QR code')
  await check(second, 'scan-qr')
  await showQr(page)
  await check(page, 'show-qr')
  const photo = await showQr(page) // a fresh code, photographed at once
  await second.getByLabel('Upload a photo of the code').setInputFiles({ name: 'qr.png', mimeType: 'image/png', buffer: photo })
  await expect(second).toHaveURL(/\/dashboard$/)
  await expect(second.getByRole('button', { name: 'Sign out' })).toBeVisible()
  // the same code again, on a third device: single use
  const third = await (await browser.newContext()).newPage()
  await third.goto('/sign-in/qr')
  await third.getByLabel('Upload a photo of the code').setInputFiles({ name: 'qr.png', mimeType: 'image/png', buffer: photo })
  await expect(third.getByRole('alert')).toHaveText(/already used or has expired/)
  await other.close()
})

/** The QR drawn into a 640×480 frame, as Y4M (I420) for Chromium's fake camera. */
async function qrAsY4m(page: Page, file: string): Promise<void> {
  const planes = await page.getByRole('img', { name: 'Sign-in QR code' }).evaluate((img: HTMLImageElement) => {
    const w = 640
    const h = 480
    const canvas = document.createElement('canvas')
    canvas.width = w
    canvas.height = h
    const ctx = canvas.getContext('2d')!
    ctx.fillStyle = '#fff'
    ctx.fillRect(0, 0, w, h)
    ctx.drawImage(img, (w - 400) / 2, (h - 400) / 2, 400, 400)
    const rgba = ctx.getImageData(0, 0, w, h).data
    const y = new Uint8Array(w * h)
    const u = new Uint8Array((w / 2) * (h / 2)).fill(128)
    const v = new Uint8Array((w / 2) * (h / 2)).fill(128)
    for (let i = 0; i < w * h; i++) {
      y[i] = Math.round(0.299 * rgba[i * 4] + 0.587 * rgba[i * 4 + 1] + 0.114 * rgba[i * 4 + 2])
    }
    const all = new Uint8Array(y.length + u.length + v.length)
    all.set(y)
    all.set(u, y.length)
    all.set(v, y.length + u.length)
    let binary = ''
    for (let i = 0; i < all.length; i += 0x8000) binary += String.fromCharCode(...all.subarray(i, i + 0x8000))
    return btoa(binary)
  })
  const frame = Buffer.from(planes, 'base64')
  const header = Buffer.from('YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n')
  const frames = Array.from({ length: 10 }, () => [Buffer.from('FRAME\n'), frame]).flat()
  writeFileSync(file, Buffer.concat([header, ...frames]))
}

test('QR: a second device signs in by scanning the code with its camera', async ({ page }, testInfo) => {
  await createAccount(page, 'Tuan', uniqueEmail('camera'), PASSWORD)
  await showQr(page)
  mkdirSync(testInfo.outputDir, { recursive: true })
  const video = join(testInfo.outputDir, 'qr.y4m')
  await qrAsY4m(page, video)
  const camera = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
  })
  try {
    const context = await camera.newContext({ baseURL: testInfo.project.use.baseURL, permissions: ['camera'] })
    const second = await context.newPage()
    await second.goto('/sign-in/qr')
    await second.getByRole('button', { name: 'Scan with camera' }).click()
    await expect(second).toHaveURL(/\/dashboard$/, { timeout: 30_000 })
    await expect(second.getByRole('button', { name: 'Sign out' })).toBeVisible()
  } finally {
    await camera.close()
  }
})

test('QR: the code shown is renewed by itself before it expires', async ({ page }) => {
  await createAccount(page, 'Quang', uniqueEmail('renew'), PASSWORD)
  await showQr(page)
  const image = page.getByRole('img', { name: 'Sign-in QR code' })
  const first = await image.getAttribute('src')
  await expect(page.getByText(/This code expires in \d+ seconds?\./)).toBeVisible()
  // the e2e server's codes live 60 s; a new one comes 12 s before the end
  await expect(image).not.toHaveAttribute('src', first!, { timeout: 65_000 })
  await expect(page.getByText(/This code expires in (5\d|60) seconds\./)).toBeVisible()
})

test('a rate-limited sign-in says when to try again, in words', async ({ page }) => {
  // the e2e server's limits are raised, so the answer is the server's own 429 shape, replayed
  await page.route('**/api/auth/login', (route) =>
    route.fulfill({
      status: 429,
      headers: { 'Content-Type': 'application/json', 'Retry-After': '120' },
      body: JSON.stringify({ error: { code: 'too_many_requests', message: 'Too many attempts, try again later', details: null } }),
    }),
  )
  await page.goto('/sign-in')
  await page.getByLabel('Email').fill('someone@example.com')
  await page.getByLabel('Password').fill('whatever it is')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('alert')).toHaveText('Too many attempts. Try again in 2 minutes.')
})
