// Checking the ledger in the browser, taking nothing on the server's word: the
// checkpoint's Ed25519 signature (a C2SP signed note) against a key the client pinned,
// and each leaf's RFC 9162 inclusion proof against that checkpoint's root, hashing the
// leaf's own bytes here. WebCrypto only (SHA-256 and Ed25519); no other crypto code.
// The formats are those of src/confidant/ledger/checkpoints.py and merkle.py.

export type VerifyCode =
  | 'no_webcrypto'
  | 'key_malformed'
  | 'key_id_mismatch'
  | 'key_changed'
  | 'note_malformed'
  | 'no_signature'
  | 'bad_signature'
  | 'origin_mismatch'
  | 'tree_size_malformed'
  | 'root_malformed'
  | 'leaf_malformed'
  | 'leaf_hash_mismatch'
  | 'proof_malformed'
  | 'proof_mismatch'

/** A verification failure; `code` says which check failed, `message` in plain English
 *  for logs (the page shows its own translated words for each code). */
export class VerifyError extends Error {
  readonly code: VerifyCode
  constructor(code: VerifyCode, message: string) {
    super(message)
    this.name = 'VerifyError'
    this.code = code
  }
}

const ED25519_ALGORITHM = 0x01
const SIGNATURE_PREFIX = '\u2014 '
const encoder = new TextEncoder()

function subtle(): SubtleCrypto {
  // crypto.subtle exists only in secure contexts (HTTPS, or localhost).
  const value = globalThis.crypto?.subtle
  if (!value) throw new VerifyError('no_webcrypto', 'WebCrypto is not available (the page needs HTTPS)')
  return value
}

// ---- bytes ----

export function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i]
  return diff === 0
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** Lowercase or uppercase hex, even length; null when it is not hex. */
export function fromHex(text: string): Uint8Array<ArrayBuffer> | null {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null
  const out = new Uint8Array(text.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16)
  return out
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

export function toBase64(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0)
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63]
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] : '='
    out += i + 2 < bytes.length ? B64[n & 63] : '='
  }
  return out
}

/** Standard base64 in its one canonical spelling (as checkpoints.py `_b64` reads it):
 *  padded, and re-encoding gives the same text, so two spellings never carry one
 *  signature. Null when it is anything else. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0
  const out = new Uint8Array((text.length / 4) * 3 - padding)
  let at = 0
  for (let i = 0; i < text.length; i += 4) {
    const n =
      (B64.indexOf(text[i]) << 18) |
      (B64.indexOf(text[i + 1]) << 12) |
      ((text[i + 2] === '=' ? 0 : B64.indexOf(text[i + 2])) << 6) |
      (text[i + 3] === '=' ? 0 : B64.indexOf(text[i + 3]))
    if (at < out.length) out[at++] = (n >> 16) & 255
    if (at < out.length) out[at++] = (n >> 8) & 255
    if (at < out.length) out[at++] = n & 255
  }
  return toBase64(out) === text ? out : null
}

// ---- hashing (RFC 6962 / RFC 9162) ----

export async function sha256(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await subtle().digest('SHA-256', data))
}

/** SHA-256(0x00 || leaf bytes). */
export function leafHash(data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return sha256(concat(new Uint8Array([0]), data))
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return sha256(concat(new Uint8Array([1]), left, right))
}

/** The root an inclusion proof leads to (RFC 9162 2.1.3.2), or null when the proof has
 *  the wrong number of hashes for this index and size. BigInt: sizes go past 2**53. */
export async function rootFromInclusionProof(
  index: number | bigint,
  size: number | bigint,
  leaf: Uint8Array,
  proof: Uint8Array[],
): Promise<Uint8Array | null> {
  let fn = BigInt(index)
  let sn = BigInt(size) - 1n
  if (fn < 0n || fn > sn) return null
  let r: Uint8Array = leaf
  for (const p of proof) {
    if (sn === 0n) return null
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r)
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n
        sn >>= 1n
      }
    } else {
      r = await nodeHash(r, p)
    }
    fn >>= 1n
    sn >>= 1n
  }
  return sn === 0n ? r : null
}

export async function verifyInclusion(
  index: number | bigint,
  size: number | bigint,
  leaf: Uint8Array,
  proof: Uint8Array[],
  root: Uint8Array,
): Promise<boolean> {
  const computed = await rootFromInclusionProof(index, size, leaf, proof)
  return computed !== null && equalBytes(computed, root)
}

// ---- C2SP verifier keys and signed notes ----

export interface VerifierKey {
  /** The key's name, which is the checkpoint origin. */
  name: string
  keyId: Uint8Array
  publicKey: Uint8Array<ArrayBuffer>
  text: string
}

async function keyIdOf(name: string, publicKey: Uint8Array): Promise<Uint8Array> {
  const digest = await sha256(concat(encoder.encode(name + '\n'), new Uint8Array([ED25519_ALGORITHM]), publicKey))
  return digest.slice(0, 4)
}

/** `name+keyid+base64(0x01 || Ed25519 public key)`, its key id checked. */
export async function parseVerifierKey(text: string): Promise<VerifierKey> {
  const first = text.indexOf('+')
  const second = first < 0 ? -1 : text.indexOf('+', first + 1)
  if (first <= 0 || second < 0) throw new VerifyError('key_malformed', 'malformed verifier key')
  const name = text.slice(0, first)
  const keyIdHex = text.slice(first + 1, second)
  const raw = fromBase64(text.slice(second + 1))
  if (!raw || raw.length !== 33 || raw[0] !== ED25519_ALGORITHM) {
    throw new VerifyError('key_malformed', 'not an Ed25519 verifier key')
  }
  const publicKey = raw.slice(1)
  const keyId = await keyIdOf(name, publicKey)
  if (toHex(keyId) !== keyIdHex) throw new VerifyError('key_id_mismatch', 'verifier key id does not match its key')
  return { name, keyId, publicKey, text }
}

/** A short, readable fingerprint of a verifier key: SHA-256 of its raw public key,
 *  the first 16 bytes in groups of four hex digits. */
export async function fingerprint(key: VerifierKey): Promise<string> {
  const digest = toHex(await sha256(key.publicKey)).slice(0, 32)
  return digest.match(/.{4}/g)!.join(' ')
}

export interface Checkpoint {
  origin: string
  treeSize: bigint
  rootHash: Uint8Array
}

/** Parse a signed checkpoint and check its Ed25519 signature by `key`; throws VerifyError
 *  (checkpoints.py `open_checkpoint`, line for line). */
export async function openCheckpoint(note: string, key: VerifierKey): Promise<Checkpoint> {
  const split = note.indexOf('\n\n')
  if (split < 0) throw new VerifyError('note_malformed', 'no signature block')
  const body = note.slice(0, split) + '\n'
  const signatures = note.slice(split + 2)
  const lines = signatures.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw new VerifyError('note_malformed', 'malformed signature line')
    const rest = line.slice(SIGNATURE_PREFIX.length)
    const space = rest.indexOf(' ')
    const signer = space < 0 ? rest : rest.slice(0, space)
    const blob = fromBase64(space < 0 ? '' : rest.slice(space + 1))
    if (!blob) throw new VerifyError('note_malformed', 'malformed base64 in a signature line')
    if (signer !== key.name || !equalBytes(blob.slice(0, 4), key.keyId)) continue
    const verifier = await subtle().importKey('raw', key.publicKey, { name: 'Ed25519' }, false, ['verify'])
    const good = await subtle().verify({ name: 'Ed25519' }, verifier, blob.slice(4), encoder.encode(body))
    if (!good) throw new VerifyError('bad_signature', 'signature does not verify')
    return parseBody(body, key.name)
  }
  throw new VerifyError('no_signature', `no signature by ${key.name}`)
}

function parseBody(body: string, origin: string): Checkpoint {
  const lines = body.split('\n')
  if (lines.length < 4 || lines[0] !== origin) {
    throw new VerifyError('origin_mismatch', 'checkpoint origin does not match the key')
  }
  if (!/^(0|[1-9][0-9]*)$/.test(lines[1])) throw new VerifyError('tree_size_malformed', 'malformed tree size')
  const root = fromBase64(lines[2])
  if (!root || root.length !== 32) throw new VerifyError('root_malformed', 'root hash is not 32 bytes')
  return { origin, treeSize: BigInt(lines[1]), rootHash: root }
}
