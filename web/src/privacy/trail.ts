// Verifying a page of the user's audit trail: the checkpoint first (pinned key, then
// signature), then each listed leaf (its bytes hashed here, then its inclusion proof
// against the checkpoint's root). What the server says about sizes and roots outside
// the signed note is not used.
import {
  type Checkpoint,
  VerifyError,
  equalBytes,
  fromBase64,
  fromHex,
  leafHash,
  openCheckpoint,
  parseVerifierKey,
  toHex,
  verifyInclusion,
} from './verify'

export interface CheckpointOut {
  checkpoint: string
  origin: string
  treeSize: number
  rootHash: string
  createdAt: string
  publicKey: string
  anchor: { chainId: number; txHash: string } | null
}

export interface AuditItem {
  txId: string
  action: string
  timestamp: string
  leafIndex: number
  /** base64 of the leaf's canonical bytes */
  leaf: string
  proof: string[] | null
}

export interface AuditPage {
  items: AuditItem[]
  nextCursor: string | null
  checkpoint: CheckpointOut | null
}

export interface InclusionProofOut {
  leafHash: string
  leafIndex: number
  treeSize: number
  hashes: string[]
}

export type LeafResult =
  | { txId: string; status: 'verified' }
  /** sequenced after the checkpoint: the next one covers it */
  | { txId: string; status: 'pending' }
  | { txId: string; status: 'failed'; error: VerifyError }

export type TrailReport =
  | { kind: 'checkpointFailed'; error: VerifyError; pinned: string; served: string }
  | { kind: 'checked'; checkpoint: Checkpoint; leaves: LeafResult[]; failed: number; verified: number; pending: number }

export interface TrailSources {
  /** GET /api/ledger/checkpoint */
  checkpoint: () => Promise<CheckpointOut>
  /** GET /api/ledger/proof/inclusion?leaf_hash=..&tree_size=.. */
  inclusion: (leafHashHex: string, treeSize: bigint) => Promise<InclusionProofOut>
}

/** Inclusion proofs fetched at once (a browser opens six connections to one host): one
 *  at a time, a page of up to 50 entries waited on each round trip in turn. */
export const PROOFS_AT_ONCE = 6

/** `work` on every item, at most `limit` at a time; the results in the items' order. */
async function inOrder<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length)
  let next = 0
  const lane = async () => {
    for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index])
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
  return results
}

/** Check the checkpoint against `pinnedKey`, then each item against that checkpoint. */
export async function verifyTrail(items: AuditItem[], pinnedKey: string, sources: TrailSources): Promise<TrailReport> {
  const served = await sources.checkpoint()
  let checkpoint: Checkpoint
  try {
    if (served.publicKey !== pinnedKey) {
      throw new VerifyError('key_changed', 'the server signs with a key other than the pinned one')
    }
    checkpoint = await openCheckpoint(served.checkpoint, await parseVerifierKey(pinnedKey))
  } catch (error) {
    if (!(error instanceof VerifyError)) throw error
    return { kind: 'checkpointFailed', error, pinned: pinnedKey, served: served.publicKey }
  }
  const leaves = await inOrder(items, PROOFS_AT_ONCE, (item) => verifyItem(item, checkpoint, sources))
  const count = (status: LeafResult['status']) => leaves.filter((leaf) => leaf.status === status).length
  return { kind: 'checked', checkpoint, leaves, failed: count('failed'), verified: count('verified'), pending: count('pending') }
}

async function verifyItem(item: AuditItem, checkpoint: Checkpoint, sources: TrailSources): Promise<LeafResult> {
  const txId = item.txId
  const fail = (error: VerifyError): LeafResult => ({ txId, status: 'failed', error })
  const data = fromBase64(item.leaf ?? '')
  if (!data) return fail(new VerifyError('leaf_malformed', 'the leaf bytes are not base64'))
  const digest = await leafHash(data)
  if (toHex(digest) !== txId.toLowerCase()) {
    return fail(new VerifyError('leaf_hash_mismatch', 'the leaf bytes do not hash to its transaction id'))
  }
  // The index only says whether the checkpoint can cover the leaf; the proof itself is
  // checked against the index it claims, and a wrong index does not verify.
  if (BigInt(item.leafIndex) >= checkpoint.treeSize) return { txId, status: 'pending' }
  let proof: InclusionProofOut
  try {
    proof = await sources.inclusion(toHex(digest), checkpoint.treeSize)
  } catch {
    return fail(new VerifyError('proof_malformed', 'the inclusion proof could not be fetched'))
  }
  const hashes = (Array.isArray(proof.hashes) ? proof.hashes : []).map((node) => fromHex(String(node)))
  if (
    !Number.isSafeInteger(proof.treeSize) ||
    BigInt(proof.treeSize) !== checkpoint.treeSize ||
    proof.leafIndex !== item.leafIndex ||
    hashes.some((node) => node === null || node.length !== 32)
  ) {
    return fail(new VerifyError('proof_malformed', 'the inclusion proof is not for this leaf and checkpoint, or not 32-byte hashes'))
  }
  const claimed = fromHex(proof.leafHash ?? '')
  if (!claimed || !equalBytes(claimed, digest)) {
    return fail(new VerifyError('proof_malformed', 'the inclusion proof is for another leaf'))
  }
  const ok = await verifyInclusion(proof.leafIndex, checkpoint.treeSize, digest, hashes as Uint8Array[], checkpoint.rootHash)
  if (!ok) return fail(new VerifyError('proof_mismatch', "the inclusion proof does not lead to the checkpoint's root"))
  return { txId, status: 'verified' }
}
