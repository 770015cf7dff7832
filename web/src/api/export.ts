import { request } from './client'

/** Saves the person's whole export (GET /api/users/me/export) as a dated JSON file. */
export async function downloadMyData(): Promise<void> {
  const response = await request<Response>('/api/users/me/export', { raw: true })
  const url = URL.createObjectURL(await response.blob())
  const link = document.createElement('a')
  link.href = url
  link.download = `confidant-export-${new Date().toISOString().slice(0, 10)}.json`
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
