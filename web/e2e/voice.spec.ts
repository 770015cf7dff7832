import { expect, test } from '@playwright/test'
import { check, startGuestChat } from './helpers'

test('voice message: recorded through the microphone, transcribed, answered in words and speech', async ({ page }) => {
  await startGuestChat(page)
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click()
  await page.getByLabel('Play spoken replies automatically').check()
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chat' }).click()
  await page.getByRole('button', { name: 'Record voice message' }).click()
  await expect(page.getByRole('status').filter({ hasText: /Recording/ })).toBeVisible()
  await page.waitForTimeout(4500) // the fake microphone plays the spoken WAV
  await page.getByRole('button', { name: 'Stop and send' }).click()
  const log = page.getByRole('log', { name: 'Conversation' })
  // the transcript comes back as the user's message
  const mine = log.getByRole('article', { name: 'You' })
  await expect(mine).toContainText(/good day|calm|hello/i, { timeout: 90_000 })
  await expect(page.getByRole('button', { name: 'Record voice message' })).toBeEnabled({ timeout: 90_000 })
  const reply = log.getByRole('article', { name: 'Confidant' })
  await expect(reply).toHaveCount(1)
  // the spoken reply and the recording can be played
  const spoken = reply.getByLabel('Spoken reply')
  await expect(spoken).toBeAttached({ timeout: 30_000 })
  await expect.poll(() => spoken.evaluate((a: HTMLAudioElement) => a.src.startsWith('blob:'))).toBe(true)
  await expect(mine.getByLabel('Your recording')).toBeAttached()
  await check(page, 'chat-voice')
})

test('voice message with the WebSocket refused: sent as POST /api/messages/voice', async ({ page }) => {
  await page.routeWebSocket(/\/ws\/chats\//, (ws) => ws.close({ code: 1011, reason: 'blocked for the test' }))
  const posted: number[] = []
  page.on('response', (r) => r.url().endsWith('/api/messages/voice') && posted.push(r.status()))
  await startGuestChat(page)
  await page.getByRole('button', { name: 'Record voice message' }).click()
  await page.waitForTimeout(4500)
  await page.getByRole('button', { name: 'Stop and send' }).click()
  const log = page.getByRole('log', { name: 'Conversation' })
  await expect(log.getByRole('article', { name: 'You' })).toContainText(/good day|calm|hello/i, { timeout: 90_000 })
  await expect(log.getByRole('article', { name: 'Confidant' }).getByLabel('Spoken reply')).toBeAttached({ timeout: 30_000 })
  expect(posted).toEqual([200])
})
