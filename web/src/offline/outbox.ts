// Creating writes that may have to wait for the network (diary entries, mood logs).
// Each carries an Idempotency-Key so a resend after a lost answer stores nothing twice.
import { request } from '../api/client'

export function newIdempotencyKey(): string {
  return crypto.randomUUID()
}

/** POST a creating write with an Idempotency-Key. The offline work queues it instead when
 *  the browser is offline and sends it once the network returns. */
export async function postCreating<T = unknown>(path: string, body: unknown): Promise<T> {
  return request<T>(path, { method: 'POST', body, headers: { 'Idempotency-Key': newIdempotencyKey() } })
}
