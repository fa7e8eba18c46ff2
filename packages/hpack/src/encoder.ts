/**
 * HPACK encoder, RFC 7541 §3 and §6.
 */
import type { HeaderField } from './decoder.js'
import { checkSize, ENTRY_OVERHEAD } from './dynamic-table.js'
import { EncoderTable } from './encoder-table.js'
import { huffmanEncodedLength, huffmanEncodeInto } from './huffman.js'
import { encodeInteger, integerLength } from './integer.js'
import { assertLatin1, writeLatin1 } from './latin1.js'
import { STATIC_NAMES, staticPairIndex } from './static-table.js'

/** When to Huffman-code string literals: 'auto' picks whichever of the two is shorter. */
export type HuffmanMode = 'auto' | 'always' | 'never'

export interface EncoderOptions {
  /**
   * The table size both sides start with: the peer's SETTINGS_HEADER_TABLE_SIZE, default 4096 (the
   * protocol's initial value). For an HTTP/2 connection leave it at 4096 and call `setMaxTableSize` when the
   * peer's SETTINGS arrive.
   */
  maxTableSize?: number
  /**
   * The most table memory this encoder will use, whatever the peer allows (default 65536). The table is
   * min(maxTableSize, tableSizeCap); the peer's decoder holds a table of the same size, so this also
   * bounds what we ask of it.
   */
  tableSizeCap?: number
  /** Default 'auto'. */
  huffman?: HuffmanMode
  /**
   * Whether a field with no exact match in a table should be added to the dynamic table (literal with
   * incremental indexing) or sent as a literal without indexing. Called only for fields that are not
   * sensitive. Default: `defaultIndexPolicy`.
   */
  indexPolicy?: IndexPolicy
}

/**
 * Decides whether to index a field; `tableCapacity` is the dynamic table's current maximum size, and
 * `nameInTable` whether some table entry (static or dynamic) has the name, so it can be sent by index.
 */
export type IndexPolicy = (
  name: string,
  value: string,
  tableCapacity: number,
  nameInTable: boolean,
) => boolean

const PROTOCOL_INITIAL_TABLE_SIZE = 4096
const SLAB_SIZE = 16384
const EMPTY_SLAB = new Uint8Array(0)
const DEFAULT_TABLE_SIZE_CAP = 65536

/**
 * Cookies shorter than this are never indexed: a short secret is the easiest to guess through the
 * compression ratio (RFC 7541 §7.1.3). Long cookies have too many possible values to be probed.
 */
const SHORT_COOKIE = 20

/**
 * Fields whose values change with nearly every message: indexing them would evict useful entries and the
 * entry would rarely be used again. (The same judgement nghttp2 makes.)
 */
const NOT_INDEXED = new Set([
  ':path',
  'age',
  'content-length',
  'etag',
  'if-modified-since',
  'if-none-match',
  'location',
  'set-cookie',
  // Request ids and trace context are unique per message by design.
  'traceparent',
  'x-request-id',
])

export class Encoder {
  readonly #table: EncoderTable
  readonly #huffman: HuffmanMode
  readonly #cap: number
  readonly #indexPolicy: IndexPolicy
  /** The table size in force after the pending updates. */
  #targetSize: number
  /** The smallest size set since the last block, which §4.2 requires be signalled first. */
  #lowestSize: number
  #updatePending = false
  #lastHeaderListSize = 0
  /**
   * Blocks are written one after another into a slab and handed out as views of it, never copied: a
   * small typed array of its own costs more to allocate than encoding the block does. A full slab is
   * left to the views that still use it and a new one started.
   */
  #buf = EMPTY_SLAB // the first block allocates the first slab
  #start = 0
  #pos = 0

  constructor(options: EncoderOptions = {}) {
    this.#huffman = options.huffman ?? 'auto'
    this.#cap = options.tableSizeCap ?? DEFAULT_TABLE_SIZE_CAP
    this.#indexPolicy = options.indexPolicy ?? defaultIndexPolicy
    checkSize('tableSizeCap', this.#cap)
    // Both sides start with this table size without signalling it (as the decoder's constructor assumes);
    // only a cap below it needs a size update, at the start of the first block.
    const initial = options.maxTableSize ?? PROTOCOL_INITIAL_TABLE_SIZE
    this.#table = new EncoderTable(initial)
    this.#targetSize = initial
    this.#lowestSize = initial
    this.setMaxTableSize(initial)
  }

  /**
   * Call with the peer's SETTINGS_HEADER_TABLE_SIZE when it changes. The next block starts with the size
   * updates that §4.2 requires: the smallest size since the previous block, then the final one.
   */
  setMaxTableSize(size: number): void {
    checkSize('maxTableSize', size)
    const effective = Math.min(size, this.#cap)
    if (effective === this.#targetSize && !this.#updatePending) return
    this.#targetSize = effective
    if (effective < this.#lowestSize) this.#lowestSize = effective
    this.#updatePending = true
  }

  /** Current size of the dynamic table (§4.1). */
  get tableSize(): number {
    return this.#table.size
  }

  /** Current maximum size of the dynamic table. */
  get tableCapacity(): number {
    return this.#table.capacity
  }

  /** Size of the last encoded header list as RFC 7541 §4.1 counts it (name + value + 32 per field). */
  get lastHeaderListSize(): number {
    return this.#lastHeaderListSize
  }

  /** Number of entries in the dynamic table. */
  get tableLength(): number {
    return this.#table.length
  }

  /**
   * Encodes one header block. Names and values are latin1 byte strings (a character above U+00FF throws a
   * TypeError). A third element `true` makes a field never-indexed (§6.2.3); `false` declares it not
   * sensitive, overriding the defaults (authorization, proxy-authorization and short cookies are
   * never indexed unless marked `false`).
   *
   * The result is a view of a buffer the encoder shares among blocks; it stays valid and unchanged (the
   * encoder never writes to it again), and keeps at most one 16 KiB slab alive.
   */
  encode(fields: Iterable<HeaderField>): Uint8Array {
    this.#start = this.#pos
    const table = this.#table
    if (this.#updatePending) {
      // §4.2: if the size changed more than once, first the smallest value, then the final one.
      if (this.#lowestSize < this.#targetSize) this.#sizeUpdate(this.#lowestSize)
      this.#sizeUpdate(this.#targetSize)
      this.#lowestSize = this.#targetSize
      this.#updatePending = false
    }
    let listSize = 0
    for (const field of fields) {
      const name = field[0]
      const value = field[1]
      listSize += name.length + value.length + 32
      this.#ensure(12)
      const known = STATIC_NAMES.get(name)
      if (field[2] ?? defaultNeverIndex(name, value)) {
        // §6.2.3: never indexed. The name may still come from a table (any entry with that name will
        // do, |find|); the value never goes into one.
        this.#literal(0x10, 4, known?.index ?? Math.abs(table.find(name, value)), name, value)
        continue
      }
      const staticPair = known === undefined ? 0 : staticPairIndex(known, value)
      if (staticPair !== 0) {
        this.#pos = encodeInteger(this.#buf, this.#pos, staticPair, 7, 0x80) // §6.1
        continue
      }
      const found = table.find(name, value)
      if (found > 0) {
        this.#pos = encodeInteger(this.#buf, this.#pos, found, 7, 0x80) // §6.1
        continue
      }
      // A static name index is never larger than a dynamic one, so it never encodes longer.
      const nameIndex = known?.index ?? -found
      if (this.#indexPolicy(name, value, table.capacity, nameIndex !== 0)) {
        this.#literal(0x40, 6, nameIndex, name, value) // §6.2.1
        table.add(name, value)
      } else {
        this.#literal(0x00, 4, nameIndex, name, value) // §6.2.2
      }
    }
    this.#lastHeaderListSize = listSize
    return this.#buf.subarray(this.#start, this.#pos)
  }

  #sizeUpdate(size: number): void {
    this.#ensure(6)
    this.#pos = encodeInteger(this.#buf, this.#pos, size, 5, 0x20) // §6.3
    this.#table.setCapacity(size)
  }

  #literal(pattern: number, prefixBits: number, nameIndex: number, name: string, value: string): void {
    this.#pos = encodeInteger(this.#buf, this.#pos, nameIndex, prefixBits, pattern)
    if (nameIndex === 0) this.#string(name)
    this.#string(value)
  }

  /** Writes a string literal (§5.2), Huffman-coded when that is shorter (or as the mode says). */
  #string(s: string): void {
    const length = s.length
    if (this.#huffman === 'auto') {
      // One pass: Huffman-code the string after room for a length prefix as long as the raw length's
      // (a shorter Huffman string never needs more), then keep it if it is shorter, else write raw.
      const prefix = integerLength(length, 7)
      this.#ensure(prefix + Math.ceil((length * 30) / 8)) // 30 bits is the longest code
      const buf = this.#buf
      const start = this.#pos + prefix
      const end = huffmanEncodeInto(s, buf, start)
      const huffmanLength = end - start
      if (huffmanLength < length) {
        const huffmanPrefix = integerLength(huffmanLength, 7)
        if (huffmanPrefix < prefix) buf.copyWithin(this.#pos + huffmanPrefix, start, end)
        encodeInteger(buf, this.#pos, huffmanLength, 7, 0x80)
        this.#pos += huffmanPrefix + huffmanLength
        return
      }
      this.#pos = writeLatin1(buf, encodeInteger(buf, this.#pos, length, 7, 0), s)
      return
    }
    if (this.#huffman === 'never') {
      assertLatin1(s, 'header field')
      this.#ensure(length + 6)
      this.#pos = writeLatin1(this.#buf, encodeInteger(this.#buf, this.#pos, length, 7, 0), s)
      return
    }
    const huffmanLength = huffmanEncodedLength(s)
    this.#ensure(huffmanLength + 6)
    const buf = this.#buf
    this.#pos = huffmanEncodeInto(s, buf, encodeInteger(buf, this.#pos, huffmanLength, 7, 0x80))
  }

  #ensure(room: number): void {
    if (this.#pos + room <= this.#buf.length) return
    // Start a new slab and move the block written so far to its beginning.
    const used = this.#pos - this.#start
    const slab = new Uint8Array(Math.max(SLAB_SIZE, (used + room) * 2))
    slab.set(this.#buf.subarray(this.#start, this.#pos))
    this.#buf = slab
    this.#start = 0
    this.#pos = used
  }
}

/**
 * Index a field unless its value changes with nearly every message (indexing it would evict entries that get
 * reused, for an entry that would not be), or it would take up most of the table and flush it. A field of
 * the first kind is indexed once when no entry has its name (an `x-request-id` in no table): later ones
 * then send the name by index rather than spelled out, one entry for a dozen bytes per message.
 */
export function defaultIndexPolicy(
  name: string,
  value: string,
  tableCapacity: number,
  nameInTable = true,
): boolean {
  const size = name.length + value.length + ENTRY_OVERHEAD
  if (NOT_INDEXED.has(name)) return !nameInTable && size <= tableCapacity / 8
  return size <= (tableCapacity * 3) / 4
}

/** §7.1.3: credentials are never indexed, so they cannot be probed through compression ratios. */
function defaultNeverIndex(name: string, value: string): boolean {
  return (
    name === 'authorization' ||
    name === 'proxy-authorization' ||
    (name === 'cookie' && value.length < SHORT_COOKIE)
  )
}
