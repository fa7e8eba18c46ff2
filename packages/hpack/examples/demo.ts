/**
 * HPACK in action: two requests of a chat-completions client, encoded and decoded as an HTTP/2
 * connection would, with the sizes on the wire.
 *
 *   npx tsx --conditions=@h2ts/source packages/hpack/examples/demo.ts
 */
import { Decoder, Encoder, type HeaderField } from '@h2ts/hpack'

const request = (n: number): HeaderField[] => [
  [':method', 'POST'],
  [':scheme', 'https'],
  [':authority', 'api.openai.com'],
  [':path', '/v1/chat/completions'],
  ['authorization', 'Bearer sk-demo-0123456789abcdefghijklmnopqrstuvwxyz'],
  ['content-type', 'application/json'],
  ['accept', 'text/event-stream'],
  ['user-agent', 'OpenAI/JS 6.9.1'],
  ['x-stainless-lang', 'js'],
  ['x-stainless-package-version', '6.9.1'],
  ['x-request-id', `req_${n.toString().padStart(6, '0')}`],
]

const encoder = new Encoder() // one per connection direction, as HTTP/2 has
const decoder = new Decoder()
const hex = (b: Uint8Array, max = 24) =>
  Array.from(b.subarray(0, max), (x) => x.toString(16).padStart(2, '0')).join(' ') +
  (b.length > max ? ' …' : '')

for (let n = 1; n <= 3; n++) {
  const fields = request(n)
  const raw = fields.reduce((sum, [name, value]) => sum + name.length + value.length, 0)
  const block = encoder.encode(fields)
  const decoded = decoder.decode(block)
  const same = JSON.stringify(decoded) === JSON.stringify(fields.map(([a, b]) => [a, b]))
  console.log(
    `request ${n}: ${fields.length} fields, ${raw} bytes of names and values -> ${block.length} bytes of HPACK`,
  )
  console.log(`  ${hex(block)}`)
  console.log(
    `  decoded back: ${same ? 'identical' : 'DIFFERENT'}; dynamic table ${decoder.tableLength} entries, ${decoder.tableSize} bytes`,
  )
}
console.log(
  '\nThe authorization header is sent never-indexed (RFC 7541 §7.1.3): it is never stored in a table,',
)
console.log('so it costs the same each time; everything else repeated becomes a one-byte index.')
