// The offline side of the client: what this device keeps, and writes that wait for the
// network. See db.ts for the stores, outbox.ts for queued writes, reads.ts for what is
// shown offline, device.ts for who was signed in and `describeDeviceStorage`.
export { describeDeviceStorage, forgetDevice, type DeviceStorage, type StoreSummary } from './device'
export { discard, flush, newIdempotencyKey, pending, postCreating, QueuedOffline, type FlushResult, type OutboxItem } from './outbox'
export { useOnline, useOutbox } from './hooks'
