// The browser's verifier against the same RFC 6962 vectors and signed checkpoint the
// backend tests use (tests/ledger/data), and against tampered proofs and notes.
import vectors from '../../../tests/ledger/data/rfc6962_vectors.json'
import signed from '../../../tests/ledger/data/signed_checkpoint.json'
import {
  VerifyError,
  fingerprint,
  fromBase64,
  fromHex,
  leafHash,
  nodeHash,
  openCheckpoint,
  parseVerifierKey,
  rootFromInclusionProof,
  toBase64,
  toHex,
  verifyInclusion,
} from './verify'
import { PROOFS_AT_ONCE, verifyTrail, type AuditItem, type CheckpointOut, type InclusionProofOut } from './trail'

const hex = (text: string) => fromHex(text)!
const leaves = vectors.leaf_inputs.map(hex)

/** RFC 6962 MTH, written out directly (the reference the proofs are checked against). */
async function mth(entries: Uint8Array[]): Promise<Uint8Array> {
  if (entries.length === 0) return new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array()))
  if (entries.length === 1) return leafHash(entries[0])
  let k = 1
  while (k * 2 < entries.length) k *= 2
  return nodeHash(await mth(entries.slice(0, k)), await mth(entries.slice(k)))
}

async function expectCode(promise: Promise<unknown>, code: string) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(VerifyError)
  expect((error as VerifyError).code).toBe(code)
}

describe('RFC 6962 vectors (tests/ledger/data/rfc6962_vectors.json)', () => {
  test('the roots of the first n leaves', async () => {
    for (let size = 0; size < vectors.roots.length; size++) {
      expect(toHex(await mth(leaves.slice(0, size)))).toBe(vectors.roots[size])
    }
  })

  test.each(vectors.inclusion_proofs)('inclusion proof of leaf $leaf_index in a tree of $tree_size', async (c) => {
    const root = hex(vectors.roots[c.tree_size])
    const proof = c.proof.map(hex)
    const leaf = await leafHash(leaves[c.leaf_index])
    expect(await verifyInclusion(c.leaf_index, c.tree_size, leaf, proof, root)).toBe(true)
    expect(toHex((await rootFromInclusionProof(c.leaf_index, c.tree_size, leaf, proof))!)).toBe(vectors.roots[c.tree_size])
  })

  test.each(vectors.inclusion_proofs.filter((c) => c.proof.length > 0))(
    'a changed bit anywhere in the proof of $leaf_index@$tree_size, the leaf or the root fails',
    async (c) => {
      const root = hex(vectors.roots[c.tree_size])
      const leaf = await leafHash(leaves[c.leaf_index])
      for (let which = 0; which < c.proof.length; which++) {
        const proof = c.proof.map(hex)
        proof[which][which % 32] ^= 0x10
        expect(await verifyInclusion(c.leaf_index, c.tree_size, leaf, proof, root)).toBe(false)
      }
      const proof = c.proof.map(hex)
      const otherLeaf = await leafHash(leaves[(c.leaf_index + 1) % leaves.length])
      expect(await verifyInclusion(c.leaf_index, c.tree_size, otherLeaf, proof, root)).toBe(false)
      const changedRoot = hex(vectors.roots[c.tree_size])
      changedRoot[0] ^= 1
      expect(await verifyInclusion(c.leaf_index, c.tree_size, leaf, proof, changedRoot)).toBe(false)
      // a wrong index, a proof one hash short or long, an index past the size
      expect(await verifyInclusion(c.leaf_index ^ 1, c.tree_size, leaf, proof, root)).toBe(false)
      expect(await verifyInclusion(c.leaf_index, c.tree_size, leaf, proof.slice(1), root)).toBe(false)
      expect(await verifyInclusion(c.leaf_index, c.tree_size, leaf, [...proof, proof[0]], root)).toBe(false)
      expect(await verifyInclusion(c.tree_size, c.tree_size, leaf, proof, root)).toBe(false)
    },
  )

  test('every leaf of every tree up to 8 has a proof that verifies', async () => {
    // Proofs built here from the MTH definition (RFC 6962 2.1.1), checked by the verifier.
    async function path(index: number, entries: Uint8Array[]): Promise<Uint8Array[]> {
      if (entries.length <= 1) return []
      let k = 1
      while (k * 2 < entries.length) k *= 2
      return index < k
        ? [...(await path(index, entries.slice(0, k))), await mth(entries.slice(k))]
        : [...(await path(index - k, entries.slice(k))), await mth(entries.slice(0, k))]
    }
    for (let size = 1; size <= leaves.length; size++) {
      for (let index = 0; index < size; index++) {
        const proof = await path(index, leaves.slice(0, size))
        const ok = await verifyInclusion(index, size, await leafHash(leaves[index]), proof, hex(vectors.roots[size]))
        expect(ok, `${index}@${size}`).toBe(true)
      }
    }
  })
})

describe('base64 and hex', () => {
  test('round trips and the one canonical spelling', () => {
    for (const length of [0, 1, 2, 3, 4, 32, 33]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37) & 255)
      expect(fromBase64(toBase64(bytes))).toEqual(bytes)
    }
    expect(toBase64(new TextEncoder().encode('hi?'))).toBe(btoa('hi?'))
    expect(Array.from(fromBase64('aGk=')!)).toEqual([104, 105])
    expect(fromBase64('aGl=')).toBeNull() // unused low bits set: not canonical
    expect(fromBase64('aGk')).toBeNull()
    expect(fromBase64('a-k=')).toBeNull()
    expect(fromHex('0x00')).toBeNull()
    expect(fromHex('abc')).toBeNull()
  })
})

describe('signed checkpoint (tests/ledger/data/signed_checkpoint.json)', () => {
  test('opens against its verifier key: the origin, size and root of the vectors', async () => {
    const key = await parseVerifierKey(signed.verifier_key)
    expect(key.name).toBe('example.org/ledger')
    const checkpoint = await openCheckpoint(signed.note, key)
    expect(checkpoint.origin).toBe(signed.origin)
    expect(checkpoint.treeSize).toBe(8n)
    expect(toHex(checkpoint.rootHash)).toBe(vectors.roots[8])
    expect(await fingerprint(key)).toMatch(/^([0-9a-f]{4} ){7}[0-9a-f]{4}$/)
  })

  test('a note signed by another key does not open with the pinned one', async () => {
    const pinned = await parseVerifierKey(signed.verifier_key)
    await expectCode(openCheckpoint(signed.other_note, pinned), 'no_signature')
    const other = await parseVerifierKey(signed.other_verifier_key)
    expect((await openCheckpoint(signed.other_note, other)).treeSize).toBe(8n)
    expect(await fingerprint(other)).not.toBe(await fingerprint(pinned))
  })

  test('a changed tree size, root or signature fails the signature check', async () => {
    const key = await parseVerifierKey(signed.verifier_key)
    await expectCode(openCheckpoint(signed.note.replace('\n8\n', '\n9\n'), key), 'bad_signature')
    const [origin, size, root, ...rest] = signed.note.split('\n')
    const otherRoot = toBase64(hex(vectors.roots[7]))
    await expectCode(openCheckpoint([origin, size, otherRoot, ...rest].join('\n'), key), 'bad_signature')
    const line = rest[1]
    const blob = fromBase64(line.split(' ')[2])!
    blob[10] ^= 1
    const changed = [origin, size, root, rest[0], `\u2014 ${signed.origin} ${toBase64(blob)}`, ''].join('\n')
    await expectCode(openCheckpoint(changed, key), 'bad_signature')
    // every single character changed anywhere in the note fails one check or another
    for (let at = 0; at < signed.note.length; at++) {
      const c = signed.note[at] === 'A' ? 'B' : 'A'
      const tampered = signed.note.slice(0, at) + c + signed.note.slice(at + 1)
      await expect(openCheckpoint(tampered, key), `position ${at}`).rejects.toBeInstanceOf(VerifyError)
    }
  })

  test('malformed notes and keys', async () => {
    const key = await parseVerifierKey(signed.verifier_key)
    await expectCode(openCheckpoint(signed.note.replace('\n\n', '\n'), key), 'note_malformed')
    await expectCode(openCheckpoint(signed.note.replace('\u2014', '-'), key), 'note_malformed')
    await expectCode(parseVerifierKey('example.org/ledger'), 'key_malformed')
    await expectCode(parseVerifierKey(signed.verifier_key.replace('+d7dea6fc+', '+00000000+')), 'key_id_mismatch')
    await expectCode(parseVerifierKey(signed.verifier_key.slice(0, -4)), 'key_malformed')
  })
})

describe('verifyTrail', () => {
  // A log of the 8 vector leaves; the "user's" items are leaves 5 and 2 (newest first),
  // and a ninth, not yet covered by the checkpoint.
  const served: CheckpointOut = {
    checkpoint: signed.note,
    origin: signed.origin,
    treeSize: 8,
    rootHash: signed.root_hash,
    createdAt: '2026-12-01T00:00:00Z',
    publicKey: signed.verifier_key,
    anchor: null,
  }
  const proofs = new Map<number, string[]>([
    [5, vectors.inclusion_proofs.find((c) => c.leaf_index === 5 && c.tree_size === 8)!.proof],
    [0, vectors.inclusion_proofs.find((c) => c.leaf_index === 0 && c.tree_size === 8)!.proof],
  ])
  async function item(index: number, data: Uint8Array): Promise<AuditItem> {
    return { txId: toHex(await leafHash(data)), action: 'GET /api/x 200', timestamp: '', leafIndex: index, leaf: toBase64(data), proof: null }
  }
  async function items() {
    return [await item(8, new TextEncoder().encode('{"later":true}')), await item(5, leaves[5]), await item(0, leaves[0])]
  }
  function sources(change: (proof: InclusionProofOut) => InclusionProofOut = (p) => p, checkpoint = served) {
    return {
      checkpoint: async () => checkpoint,
      inclusion: async (leafHashHex: string, treeSize: bigint) => {
        for (const [i, proof] of proofs) {
          if (toHex(await leafHash(leaves[i])) === leafHashHex) return change({ leafHash: leafHashHex, leafIndex: i, treeSize: Number(treeSize), hashes: proof })
        }
        throw new Error('no such leaf')
      },
    }
  }

  test('verified against the checkpoint; a leaf past it waits for the next one', async () => {
    const report = await verifyTrail(await items(), signed.verifier_key, sources())
    expect(report.kind).toBe('checked')
    if (report.kind !== 'checked') return
    expect(report.checkpoint.treeSize).toBe(8n)
    expect(report.leaves.map((l) => l.status)).toEqual(['pending', 'verified', 'verified'])
    expect([report.verified, report.pending, report.failed]).toEqual([2, 1, 0])
  })

  test('proofs are fetched a few at a time, and the report keeps the list\'s order', async () => {
    const leaf = await item(5, leaves[5])
    const list = Array.from({ length: 20 }, (_, n) => (n % 2 ? leaf : { ...leaf, leafIndex: 8 + n }))
    let inFlight = 0
    let most = 0
    const base = sources()
    const report = await verifyTrail(list, signed.verifier_key, {
      ...base,
      inclusion: async (leafHashHex, treeSize) => {
        most = Math.max(most, ++inFlight)
        await new Promise((resolve) => setTimeout(resolve, 5))
        inFlight--
        return base.inclusion(leafHashHex, treeSize)
      },
    })
    if (report.kind !== 'checked') throw new Error(report.kind)
    expect(report.leaves.map((l) => l.status)).toEqual(list.map((_, n) => (n % 2 ? 'verified' : 'pending')))
    expect(most).toBe(PROOFS_AT_ONCE)
  })

  test('a tampered proof fails that leaf with proof_mismatch, the others still verify', async () => {
    const tamper = (p: InclusionProofOut) =>
      p.leafIndex === 5 ? { ...p, hashes: [p.hashes[0].replace(/^./, (c) => (c === '0' ? '1' : '0')), ...p.hashes.slice(1)] } : p
    const report = await verifyTrail(await items(), signed.verifier_key, sources(tamper))
    if (report.kind !== 'checked') throw new Error(report.kind)
    const failed = report.leaves[1]
    expect(failed.status).toBe('failed')
    expect(failed.status === 'failed' && failed.error.code).toBe('proof_mismatch')
    expect(failed.status === 'failed' && failed.error.message).toBe("the inclusion proof does not lead to the checkpoint's root")
    expect(report.leaves[2].status).toBe('verified')
    expect(report.failed).toBe(1)
  })

  test('a proof for another size, index or leaf, or with short hashes, is malformed', async () => {
    for (const tamper of [
      (p: InclusionProofOut) => ({ ...p, treeSize: 7 }),
      (p: InclusionProofOut) => ({ ...p, leafIndex: p.leafIndex + 1 }),
      (p: InclusionProofOut) => ({ ...p, leafHash: '00'.repeat(32) }),
      (p: InclusionProofOut) => ({ ...p, hashes: [p.hashes[0].slice(2), ...p.hashes.slice(1)] }),
    ]) {
      const report = await verifyTrail(await items(), signed.verifier_key, sources(tamper))
      if (report.kind !== 'checked') throw new Error(report.kind)
      const failed = report.leaves[1]
      expect(failed.status === 'failed' && failed.error.code).toBe('proof_malformed')
    }
  })

  test('leaf bytes that do not hash to the transaction id fail before any proof', async () => {
    const list = await items()
    list[1] = { ...list[1], leaf: toBase64(leaves[4]) }
    const report = await verifyTrail(list, signed.verifier_key, sources())
    if (report.kind !== 'checked') throw new Error(report.kind)
    const failed = report.leaves[1]
    expect(failed.status === 'failed' && failed.error.code).toBe('leaf_hash_mismatch')
  })

  test('a tampered note fails the signature, and no leaf counts as verified', async () => {
    const note = signed.note.replace(signed.note.split('\n')[2], toBase64(hex(vectors.roots[7])))
    const report = await verifyTrail(await items(), signed.verifier_key, sources(undefined, { ...served, checkpoint: note }))
    expect(report.kind).toBe('checkpointFailed')
    if (report.kind !== 'checkpointFailed') return
    expect(report.error.code).toBe('bad_signature')
    expect(report.error.message).toBe('signature does not verify')
  })

  test('a server key other than the pinned one fails with key_changed', async () => {
    const changed = { ...served, checkpoint: signed.other_note, publicKey: signed.other_verifier_key }
    const report = await verifyTrail(await items(), signed.verifier_key, sources(undefined, changed))
    expect(report.kind === 'checkpointFailed' && report.error.code).toBe('key_changed')
    // and taking the server's word for its key is not how the note is checked
    const lying = { ...served, checkpoint: signed.other_note }
    const second = await verifyTrail(await items(), signed.verifier_key, sources(undefined, lying))
    expect(second.kind === 'checkpointFailed' && second.error.code).toBe('no_signature')
  })
})
