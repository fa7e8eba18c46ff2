/**
 * HPACK decoder, RFC 7541 §3 and §6.
 */
import { checkSize, DynamicTable } from './dynamic-table.js'
import { HpackError } from './errors.js'
import { huffmanDecodeInto, huffmanMaxDecodedLength, lastDecodeWasAscii } from './huffman.js'
import { decodedEnd, decodeIntegerTail } from './integer.js'
import { latin1ToString } from './latin1.js'
import { STATIC_TABLE, STATIC_TABLE_LENGTH } from './static-table.js'

/**
 * A header field: name and value as latin1 byte strings. A third element `true` marks a field that must
 * never be indexed (RFC 7541 §6.2.3, §7.1.3): the decoder sets it for fields that arrived that way, and
 * the encoder honours it, so a proxy that passes decoded fields to an encoder keeps them unindexed.
 */
export type HeaderField = readonly [name: string, value: string, neverIndex?: boolean]

export interface DecoderOptions {
  /**
   * The table size both sides start with (default 4096, the protocol's initial value), which is also the
   * largest the peer may signal until `setMaxTableSize` changes it. For an HTTP/2 connection leave it at
   * 4096 and call `setMaxTableSize` when the peer acknowledges our SETTINGS_HEADER_TABLE_SIZE.
   */
  maxTableSize?: number
  /**
   * Largest decoded header list, counted as RFC 9113 §6.5.2 does (name + value + 32 per field); default
   * 65536. A larger list is still decoded to its end, so the table stays in sync, but no fields are kept and
   * the block fails with the non-fatal `header-list-too-large`.
   */
  maxHeaderListSize?: number
  /** Longest string literal, encoded or decoded; a longer one is a fatal error. Default: maxHeaderListSize. */
  maxStringLength?: number
  /**
   * Checks decoded fields (e.g. HTTP/2's character rules, RFC 9113 §8.2.1), returning a reason when a field
   * is not acceptable. It runs only on fields that arrive as literals: static table entries are not checked,
   * and a dynamic table entry keeps the verdict it got when it was inserted, so a field sent again by index
   * costs no second check. A rejected field does not stop decoding (the table must stay in step with the
   * peer's); the block's first rejection is `lastFieldProblem`.
   */
  checkField?: (name: string, value: string) => string | undefined
}

/** A field `checkField` rejected: its name and the reason the check gave. */
export interface FieldProblem {
  readonly name: string
  readonly reason: string
}

const DEFAULT_TABLE_SIZE = 4096
const DEFAULT_MAX_HEADER_LIST_SIZE = 65536
const FIELD_OVERHEAD = 32

export class Decoder {
  readonly #table: DynamicTable
  /** The acknowledged SETTINGS_HEADER_TABLE_SIZE: no size update may exceed it (§6.3). */
  #limit: number
  /**
   * The smallest limit set since the last block; when it is below the table's capacity the next block must
   * start with a size update at most this large (§4.2).
   */
  #lowestLimit: number
  readonly #maxHeaderListSize: number
  #lastHeaderListSize = 0
  readonly #maxStringLength: number
  #scratch = new Uint8Array(256)
  #failure: HpackError | undefined
  /** Where the last #string() call ended. */
  #stringEnd = 0
  readonly #checkField: ((name: string, value: string) => string | undefined) | undefined
  #fieldProblem: FieldProblem | undefined

  constructor(options: DecoderOptions = {}) {
    const tableSize = options.maxTableSize ?? DEFAULT_TABLE_SIZE
    checkSize('maxTableSize', tableSize)
    this.#table = new DynamicTable(tableSize)
    this.#limit = tableSize
    this.#lowestLimit = tableSize
    this.#maxHeaderListSize = options.maxHeaderListSize ?? DEFAULT_MAX_HEADER_LIST_SIZE
    this.#maxStringLength = options.maxStringLength ?? this.#maxHeaderListSize
    this.#checkField = options.checkField
  }

  /** The last decoded block's first field that `checkField` rejected, if any. */
  get lastFieldProblem(): FieldProblem | undefined {
    return this.#fieldProblem
  }

  /**
   * Call when the peer acknowledges a new SETTINGS_HEADER_TABLE_SIZE of ours. Lowering it below the table's
   * current capacity obliges the peer to start its next block with a size update (§4.2).
   */
  setMaxTableSize(size: number): void {
    checkSize('maxTableSize', size)
    this.#limit = size
    if (size < this.#lowestLimit) this.#lowestLimit = size
  }

  /** Current size of the dynamic table (§4.1). */
  get tableSize(): number {
    return this.#table.size
  }

  /** Current maximum size of the dynamic table, as last signalled by the peer. */
  get tableCapacity(): number {
    return this.#table.capacity
  }

  /** Size of the last decoded header list as RFC 7541 §4.1 counts it (name + value + 32 per field). */
  get lastHeaderListSize(): number {
    return this.#lastHeaderListSize
  }

  /** Number of entries in the dynamic table. */
  get tableLength(): number {
    return this.#table.length
  }

  /**
   * Decodes one complete header block. Returns the fields in order, duplicates kept. Throws HpackError;
   * after a fatal one every later call throws too (the table can no longer be trusted).
   */
  decode(block: Uint8Array): Array<[string, string]> {
    const fields: Array<[string, string]> = []
    this.#run(block, fields, false)
    return fields
  }

  /** Like `decode`, but fields that arrived as never-indexed literals carry a third element `true`. */
  decodeFields(block: Uint8Array): HeaderField[] {
    const fields: HeaderField[] = []
    this.#run(block, fields as Array<[string, string]>, true)
    return fields
  }

  #run(block: Uint8Array, out: Array<[string, string]>, markNeverIndexed: boolean): void {
    if (this.#failure !== undefined) {
      throw new HpackError('decoder-failed', `an earlier block failed (${this.#failure.reason})`, 0)
    }
    try {
      this.#decode(block, out, markNeverIndexed)
    } catch (error) {
      if (error instanceof HpackError && error.fatal) this.#failure = error
      throw error
    }
  }

  #decode(block: Uint8Array, out: Array<[string, string]>, markNeverIndexed: boolean): void {
    const table = this.#table
    const check = this.#checkField
    const end = block.length
    let pos = 0
    this.#fieldProblem = undefined

    // §4.2: size updates come first. If our limit dropped below the capacity, one of them must bring the
    // table down to (at most) the smallest limit we set since the previous block.
    let required = this.#lowestLimit < table.capacity
    while (pos < end && (block[pos]! & 0xe0) === 0x20) {
      let size = block[pos]! & 0x1f
      pos++
      if (size === 0x1f) {
        size = decodeIntegerTail(block, pos, end, size)
        pos = decodedEnd
      }
      if (size > this.#limit) {
        throw new HpackError(
          'table-size-update-too-large',
          `update to ${size} exceeds the limit ${this.#limit}`,
          pos,
        )
      }
      if (size <= this.#lowestLimit) required = false
      table.setCapacity(size)
    }
    if (required) {
      throw new HpackError(
        'table-size-update-missing',
        `the table size limit was lowered to ${this.#lowestLimit}; the block must start with a size update`,
        pos,
      )
    }
    this.#lowestLimit = this.#limit

    const maxListSize = this.#maxHeaderListSize
    let listSize = 0
    while (pos < end) {
      const b = block[pos]!
      let name: string
      let value: string
      let neverIndexed = false
      if (b & 0x80) {
        // §6.1 Indexed Header Field
        let index = b & 0x7f
        pos++
        if (index === 0x7f) {
          index = decodeIntegerTail(block, pos, end, index)
          pos = decodedEnd
        }
        if (index === 0) throw new HpackError('index-zero', 'indexed field with index 0', pos - 1)
        if (index <= STATIC_TABLE_LENGTH) {
          const entry = STATIC_TABLE[index - 1]!
          name = entry[0]
          value = entry[1]
        } else {
          const i = index - STATIC_TABLE_LENGTH
          if (i > table.length) throw this.#outOfRange(index, pos)
          name = table.nameAt(i)
          value = table.valueAt(i)
          const note = table.noteAt(i)
          if (note !== undefined) this.#noteProblem(name, note)
        }
      } else {
        // §6.2 Literal Header Field: 01 incremental indexing (6-bit index), 0000 without indexing and
        // 0001 never indexed (4-bit index). 001 is a size update, allowed only before the first field.
        const incremental = (b & 0x40) !== 0
        if (!incremental && (b & 0x20) !== 0) {
          throw new HpackError('table-size-update-misplaced', 'size update after a header field', pos)
        }
        const mask = incremental ? 0x3f : 0x0f
        neverIndexed = (b & 0xf0) === 0x10
        let index = b & mask
        pos++
        if (index === mask) {
          index = decodeIntegerTail(block, pos, end, index)
          pos = decodedEnd
        }
        if (index === 0) {
          name = this.#string(block, pos, end)
          pos = this.#stringEnd
        } else if (index <= STATIC_TABLE_LENGTH) {
          name = STATIC_TABLE[index - 1]![0]
        } else {
          const i = index - STATIC_TABLE_LENGTH
          if (i > table.length) throw this.#outOfRange(index, pos)
          name = table.nameAt(i)
        }
        value = this.#string(block, pos, end)
        pos = this.#stringEnd
        const problem = check === undefined ? undefined : check(name, value)
        if (problem !== undefined) this.#noteProblem(name, problem)
        if (incremental) table.add(name, value, problem)
      }
      // The list limit is checked as fields arrive; past it, decoding goes on (the table must stay in
      // step) but nothing more is kept, so a small block that expands hugely costs no memory.
      listSize += name.length + value.length + FIELD_OVERHEAD
      if (listSize <= maxListSize) {
        out.push(
          neverIndexed && markNeverIndexed
            ? ([name, value, true] as unknown as [string, string])
            : [name, value],
        )
      }
    }
    this.#lastHeaderListSize = listSize
    if (listSize > maxListSize) {
      out.length = 0
      throw new HpackError(
        'header-list-too-large',
        `header list of ${listSize} bytes exceeds maxHeaderListSize ${maxListSize}`,
        end,
      )
    }
  }

  #noteProblem(name: string, reason: string): void {
    this.#fieldProblem ??= { name, reason }
  }

  /** Reads a string literal (§5.2) at block[pos]; sets #stringEnd. */
  #string(block: Uint8Array, pos: number, end: number): string {
    if (pos >= end) throw new HpackError('truncated', 'block ends before a string literal', pos)
    const first = block[pos]!
    let length = first & 0x7f
    pos++
    if (length === 0x7f) {
      length = decodeIntegerTail(block, pos, end, length)
      pos = decodedEnd
    }
    if (length > this.#maxStringLength) {
      throw new HpackError(
        'string-too-long',
        `string of ${length} bytes exceeds ${this.#maxStringLength}`,
        pos,
      )
    }
    const stop = pos + length
    if (stop > end) throw new HpackError('truncated', `string of ${length} bytes runs past the block`, pos)
    this.#stringEnd = stop
    if ((first & 0x80) === 0) return latin1ToString(block, pos, stop)
    const needed = huffmanMaxDecodedLength(length)
    if (this.#scratch.length < needed)
      this.#scratch = new Uint8Array(Math.max(needed, this.#scratch.length * 2))
    const decodedLength = huffmanDecodeInto(block, pos, stop, this.#scratch, 0)
    if (decodedLength > this.#maxStringLength) {
      throw new HpackError('string-too-long', `string decodes to ${decodedLength} bytes`, pos)
    }
    return latin1ToString(this.#scratch, 0, decodedLength, lastDecodeWasAscii)
  }

  #outOfRange(index: number, pos: number): HpackError {
    return new HpackError(
      'index-out-of-range',
      `index ${index} is past the static table and the ${this.#table.length} dynamic entries`,
      pos,
    )
  }
}
