import { expect, test } from '@playwright/test'
import { CALL_WAV } from '../playwright.config'
import { check, startGuestChat } from './helpers'

// The fake microphone says a question, then is quiet for twenty seconds, over and over.
test.use({
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${CALL_WAV}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  },
})

test('live call: connects, shows the live transcript, the reply is heard, and the turns land in the chat', async ({ page }) => {
  page.on('console', (message) => message.type() === 'error' && console.log('browser:', message.text()))
  await startGuestChat(page)
  await page.goto('/dashboard')
  const panel = page.getByRole('region', { name: 'Call' })
  await check(page, 'call-idle')
  await panel.getByRole('button', { name: 'Call' }).click()
  await expect(panel.getByRole('button', { name: 'Hang up' })).toBeVisible({ timeout: 30_000 })
  const transcript = panel.getByRole('log', { name: 'Live transcript' })
  await expect(transcript).toContainText(/tired|relax/i, { timeout: 90_000 })
  // a WebAudio analyser on the remote track hears the companion
  await expect(panel).toHaveAttribute('data-heard-audio', 'true', { timeout: 90_000 })
  // the companion has answered (the looping microphone may ask again later)
  await expect(transcript.getByText(/^Companion:/).first()).toBeVisible()
  await check(page, 'call-live')
  await panel.getByRole('button', { name: 'Mute' }).click()
  await expect(panel.getByRole('button', { name: 'Unmute' })).toHaveAttribute('aria-pressed', 'true')
  await panel.getByRole('button', { name: 'Hang up' }).click()
  await expect(panel.getByRole('status')).toContainText('The call has ended')
  await check(page, 'call-ended')
})

test('live call: the pause tolerance is a preference that is kept', async ({ page }) => {
  await startGuestChat(page)
  await page.goto('/dashboard')
  const panel = page.getByRole('region', { name: 'Call' })
  const pause = panel.getByLabel('Answer after a pause of')
  const saved = () => page.waitForResponse((r) => r.url().endsWith('/api/users/me') && r.request().method() === 'PATCH' && r.ok())
  await Promise.all([saved(), pause.selectOption('1.5')])
  await Promise.all([saved(), panel.getByLabel(/Never interrupt me/).check()])
  await page.reload()
  await expect(page.getByRole('region', { name: 'Call' }).getByLabel('Answer after a pause of')).toHaveValue('1.5')
  await expect(page.getByRole('region', { name: 'Call' }).getByLabel(/Never interrupt me/)).toBeChecked()
})
