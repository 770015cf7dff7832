import { expect, test } from '@playwright/test'
import { check, createAccount, uniqueEmail } from './helpers'

test('every page at a phone size (390×844): no sideways scrolling, axe clean, screenshots', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 })
  const noSideways = async () =>
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true)
  for (const [path, name] of [
    ['/', 'landing'],
    ['/sign-in', 'sign-in'],
    ['/sign-in/pin', 'pin'],
    ['/sign-in/qr', 'qr'],
  ] as const) {
    await page.goto(path)
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible()
    await noSideways()
    await check(page, `phone-${name}`)
  }
  await createAccount(page, 'Vy', uniqueEmail('phone'), 'a long enough password')
  await noSideways()
  await check(page, 'phone-chat')
  for (const [link, name] of [
    ['Diary', 'diary'],
    ['Medical card', 'medical-card'],
    ['Settings', 'settings'],
  ] as const) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click()
    await expect(page.getByRole('heading', { level: 1, name: link })).toBeVisible()
    await noSideways()
    await check(page, `phone-${name}`)
  }
  await page.goto('/link-device')
  await expect(page.getByRole('img', { name: 'Sign-in QR code' })).toBeVisible()
  await noSideways()
  await check(page, 'phone-link-device')
})

test('keyboard only: skip link, guest start, type and send, reach the nav', async ({ page }) => {
  await page.goto('/')
  // Tab to "Continue as guest" and press Enter
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Tab')
    const name = await page.evaluate(() => document.activeElement?.textContent ?? '')
    if (name === 'Continue as guest') break
  }
  await expect(page.locator(':focus')).toHaveText('Continue as guest')
  await page.keyboard.press('Enter')
  await expect(page).toHaveURL(/\/chat\/[\w-]+$/)
  // on a fresh load the first Tab reaches the skip link, which lands in the page
  await page.reload()
  await expect(page.getByRole('textbox', { name: 'Message' })).toBeVisible()
  await page.keyboard.press('Tab')
  await expect(page.locator(':focus')).toHaveText('Skip to content')
  await page.keyboard.press('Enter')
  await expect(page.locator('#main')).toBeFocused()
  // Tab to the message box, type, Enter sends
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press('Tab')
    if (await page.getByRole('textbox', { name: 'Message' }).evaluate((el) => el === document.activeElement)) break
  }
  await expect(page.getByRole('textbox', { name: 'Message' })).toBeFocused()
  await page.keyboard.type('Hi there')
  await page.keyboard.press('Enter')
  await expect(page.getByRole('log').getByRole('article', { name: 'You' })).toContainText('Hi there')
  // the next Tab is Stop; Enter stops the reply
  await page.keyboard.press('Tab')
  await expect(page.locator(':focus')).toHaveText('Stop')
  await page.keyboard.press('Enter')
  await expect(page.getByRole('button', { name: 'Send' })).toBeVisible({ timeout: 90_000 })
  // focus is visible: the outline is drawn on focused controls
  await page.getByRole('button', { name: 'New chat' }).focus()
  await page.keyboard.press('Shift+Tab')
  await page.keyboard.press('Tab')
  const outline = await page.locator(':focus').evaluate((el) => getComputedStyle(el).outlineStyle)
  expect(outline).not.toBe('none')
})

test('Vietnamese on every signed-in page: headings, titles and nav, axe clean', async ({ page }) => {
  await page.goto('/')
  await page.getByLabel('Language').selectOption('vi')
  await page.getByRole('link', { name: 'Tạo tài khoản' }).click()
  await page.getByLabel('Tên').fill('Hạnh')
  await page.getByLabel('Email').fill(uniqueEmail('vi'))
  await page.getByLabel('Mật khẩu').fill('mật khẩu đủ dài')
  await page.getByRole('button', { name: 'Tạo tài khoản' }).click()
  await expect(page).toHaveURL(/\/chat\/[\w-]+$/)
  await expect(page.locator('html')).toHaveAttribute('lang', 'vi')
  for (const [link, title] of [
    ['Nhật ký', 'Nhật ký'],
    ['Thẻ y tế', 'Thẻ y tế'],
    ['Cài đặt', 'Cài đặt'],
  ] as const) {
    await page.getByRole('navigation', { name: 'Chính' }).getByRole('link', { name: link }).click()
    await expect(page).toHaveTitle(`Confidant — ${title}`)
    await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible()
    await check(page, `vi-${link}`)
  }
  // the choice was saved as the account's preference: still Vietnamese after a reload
  await page.reload()
  await expect(page.getByRole('heading', { level: 1, name: 'Cài đặt' })).toBeVisible()
  await expect(page.getByRole('button', { name: 'Lưu hồ sơ' })).toBeVisible()
})
