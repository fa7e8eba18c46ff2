/**
 * Generates `src/huffman-table.ts` from the code lengths of RFC 7541 Appendix B.
 *
 *   pnpm --filter @h2ts/hpack run generate
 *
 * The HPACK Huffman code is canonical: codes of the same length are consecutive and ordered by symbol, and
 * each length continues from the previous one shifted left. So the 257 code lengths are all the input there
 * is; the codes follow from them, and the generator checks a few against the appendix before writing.
 *
 * The decoder table is a state machine over 4-bit nibbles. A state is an internal node of the code tree
 * (there are 256 of them for 257 leaves; the root is state 0). For every state and nibble the table gives
 * the state reached after following those 4 bits, and the symbol emitted on the way (at most one: the
 * shortest code is 5 bits). A test regenerates this file and compares it with the checked-in copy.
 */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Code length in bits of each symbol 0..255 and EOS (256), RFC 7541 Appendix B, in symbol order. */
// biome-ignore format: one row of 32 symbols per line reads against the appendix
export const CODE_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
]

const EOS = 256

/** Flag bits of a decode-table entry; the low 8 bits are the next state, bits 16..23 the emitted symbol. */
export const EMIT = 0x100
export const FAIL = 0x200

/** Assigns canonical codes (RFC 7541 Appendix B is a canonical Huffman code). */
export function canonicalCodes(lengths: readonly number[]): number[] {
  const symbols = lengths.map((_, s) => s).sort((a, b) => lengths[a]! - lengths[b]! || a - b)
  const codes = new Array<number>(lengths.length).fill(0)
  let code = 0
  let prevLength = lengths[symbols[0]!]!
  for (const s of symbols) {
    const len = lengths[s]!
    code *= 2 ** (len - prevLength)
    prevLength = len
    codes[s] = code
    code++
  }
  return codes
}

interface Tree {
  /** children[node * 2 + bit]: an internal node id, or -(symbol + 1) for a leaf. */
  children: number[]
  /** Per internal node: bits followed from the root, and whether they were all ones. */
  depth: number[]
  allOnes: boolean[]
}

function buildTree(codes: readonly number[], lengths: readonly number[]): Tree {
  const tree: Tree = { children: [0, 0], depth: [0], allOnes: [true] }
  const unset = 0 // node 0 is the root, never a child, so 0 marks "no child yet"
  for (let s = 0; s < codes.length; s++) {
    const len = lengths[s]!
    let node = 0
    for (let i = len - 1; i >= 0; i--) {
      const bit = Math.floor(codes[s]! / 2 ** i) % 2
      const slot = node * 2 + bit
      if (i === 0) {
        if (tree.children[slot] !== unset) throw new Error(`code of symbol ${s} collides`)
        tree.children[slot] = -(s + 1)
        break
      }
      let next = tree.children[slot]!
      if (next === unset) {
        next = tree.depth.length
        tree.children[slot] = next
        tree.children.push(0, 0)
        tree.depth.push(tree.depth[node]! + 1)
        tree.allOnes.push(tree.allOnes[node]! && bit === 1)
      } else if (next < 0) {
        throw new Error(`code of symbol ${s} has a prefix that is a code`)
      }
      node = next
    }
  }
  if (tree.depth.length !== 256) throw new Error(`expected 256 internal nodes, got ${tree.depth.length}`)
  if (tree.children.some((c) => c === unset)) throw new Error('the code is not complete')
  return tree
}

export interface HuffmanTables {
  codes: number[]
  decode: number[]
  /** Per state: ending here is valid, i.e. the bits since the last symbol are at most 7 ones (§5.2). */
  accept: number[]
}

export function buildTables(): HuffmanTables {
  const codes = canonicalCodes(CODE_LENGTHS)
  // Spot checks against the appendix, so a mistyped length cannot go unnoticed.
  const expected: Array<[number, number]> = [
    [48, 0x0], // '0' 00000
    [32, 0x14], // ' ' 010100
    [97, 0x3], // 'a' 00011
    [0, 0x1ff8],
    [255, 0x3ffffee],
    [EOS, 0x3fffffff],
  ]
  for (const [sym, code] of expected) {
    if (codes[sym] !== code)
      throw new Error(`symbol ${sym}: code ${codes[sym]?.toString(16)} != ${code.toString(16)}`)
  }
  const tree = buildTree(codes, CODE_LENGTHS)
  const decode: number[] = []
  for (let state = 0; state < 256; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state
      let entry = 0
      for (let i = 3; i >= 0; i--) {
        const child = tree.children[node * 2 + ((nibble >> i) & 1)]!
        if (child >= 0) {
          node = child
          continue
        }
        const sym = -child - 1
        if (sym === EOS) {
          // §5.2: a string containing the EOS symbol is a decoding error.
          entry = FAIL
          node = 0
          break
        }
        entry = EMIT | (sym << 16)
        node = 0
      }
      decode.push(entry === FAIL ? FAIL : entry | node)
    }
  }
  const accept = tree.depth.map((d, n) => (d <= 7 && tree.allOnes[n] ? 1 : 0))
  return { codes, decode, accept }
}

function rows(values: readonly number[], perRow: number, hex: boolean): string {
  const out: string[] = []
  for (let i = 0; i < values.length; i += perRow) {
    const row = values.slice(i, i + perRow).map((v) => (hex ? `0x${v.toString(16)}` : String(v)))
    out.push(`  ${row.join(', ')},`)
  }
  return out.join('\n')
}

export function generateHuffmanTableSource(): string {
  const { codes, decode, accept } = buildTables()
  return `// GENERATED by scripts/generate-huffman-table.ts from RFC 7541 Appendix B. Do not edit.
// A test regenerates this file and fails if it differs.

/** Huffman code of each symbol 0..256 (256 is EOS), right-aligned. */
export const HUFFMAN_CODES: Uint32Array = new Uint32Array([
${rows(codes, 8, true)}
])

/** Huffman code length in bits of each symbol 0..256. */
export const HUFFMAN_LENGTHS: Uint8Array = new Uint8Array([
${rows(CODE_LENGTHS, 32, false)}
])

/** Entry flag: the transition emits the symbol in bits 16..23. */
export const HUFFMAN_EMIT = 0x${EMIT.toString(16)}
/** Entry flag: the transition reaches EOS, which must not appear in a string (RFC 7541 §5.2). */
export const HUFFMAN_FAIL = 0x${FAIL.toString(16)}

/**
 * 4-bit decoding state machine: entry [state * 16 + nibble] holds the next state (bits 0..7), the flags
 * above, and the emitted symbol (bits 16..23). One row of 16 entries per state.
 */
export const HUFFMAN_DECODE: Uint32Array = new Uint32Array([
${rows(decode, 16, true)}
])

/** 1 where a string may end in that state: the padding read so far is at most 7 one-bits (RFC 7541 §5.2). */
export const HUFFMAN_ACCEPT: Uint8Array = new Uint8Array([
${rows(accept, 32, false)}
])
`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = fileURLToPath(new URL('../src/huffman-table.ts', import.meta.url))
  writeFileSync(target, generateHuffmanTableSource())
  console.log(`wrote ${target}`)
}
