/**
 * The client of the `api` benchmark: the `openai` npm client (which, on Node, speaks HTTP/1.1 through the
 * built-in fetch) sends N chat completions at once and prints one JSON line with what it measured.
 *
 *   NODE_EXTRA_CA_CERTS=cert.pem npx tsx bench/servers/openai-client.ts --url https://127.0.0.1:P/v1 \
 *     --n N [--stream] [--warmup-url https://localhost:P/v1 --warmup W]
 *
 * After the warm-up it prints `ready` and waits for a line on stdin (the parent reads the servers'
 * counters meanwhile); after the batch it prints `done <json>` at once, and exits at the next line.
 *
 * The warm-up batch goes to another origin naming the same server (`localhost` instead of `127.0.0.1`), so
 * the JIT of the client and of the servers is warm while the measured batch still opens its own
 * connections (fetch pools connections per origin). Each completion's text is checked against the mock's
 * reply, so a broken path cannot look fast.
 *
 * Measured around the batch only: wall time, each request's latency (to the last byte; for streams also to
 * the first token), this process's CPU time, the bytes it read and wrote on its sockets (/proc/self/io:
 * TLS records, handshakes included), the connections fetch opened and the header bytes it sent and got
 * (as HTTP/1.1 text), from undici's diagnostics channels.
 */
import { subscribe } from 'node:diagnostics_channel'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import OpenAI from 'openai'

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i < 0 ? undefined : process.argv[i + 1]
}
const url = flag('--url')
if (url === undefined) throw new Error('--url is required')
const n = Number(flag('--n') ?? 1)
const stream = process.argv.includes('--stream')
const warmupUrl = flag('--warmup-url')
const warmup = Number(flag('--warmup') ?? 0)

const PROMPT = 'Say hello to the benchmark'
const EXPECTED = `Hello from the h2ts mock model. You said: ${PROMPT}`

let connections = 0
let requestHeaderBytes = 0
let responseHeaderBytes = 0
subscribe('undici:client:connected', () => connections++)
subscribe('undici:client:sendHeaders', (m) => {
  // The request head as written: request line and header lines (undici builds it as one string).
  requestHeaderBytes += Buffer.byteLength((m as { headers: string }).headers)
})
subscribe('undici:request:headers', (m) => {
  const { response } = m as { response: { statusText?: string; headers: Array<Buffer | string> } }
  // Status line (`HTTP/1.1 200 OK\r\n`), `name: value\r\n` per field, the empty line.
  let head = 'HTTP/1.1 200 \r\n'.length + (response.statusText ?? '').length + 2
  for (let i = 0; i < response.headers.length; i += 2)
    head += response.headers[i]!.length + response.headers[i + 1]!.length + 4
  responseHeaderBytes += head
})

function io(): { read: number; written: number } {
  const text = readFileSync('/proc/self/io', 'utf8')
  return {
    read: Number(/rchar: (\d+)/.exec(text)?.[1] ?? Number.NaN),
    written: Number(/wchar: (\d+)/.exec(text)?.[1] ?? Number.NaN),
  }
}

interface Outcome {
  ms: number
  firstMs?: number
  ok: boolean
  error?: string
}

/** One completion; its latency to the last byte, and to the first token when streaming. */
async function complete(client: OpenAI): Promise<Outcome> {
  const t0 = performance.now()
  try {
    const messages = [{ role: 'user' as const, content: PROMPT }]
    if (!stream) {
      const r = await client.chat.completions.create({ model: 'gpt-h2ts-mock', messages })
      const text = r.choices[0]?.message.content ?? ''
      const done: Outcome = { ms: performance.now() - t0, ok: text === EXPECTED }
      if (text !== EXPECTED) done.error = `got ${text}`
      return done
    }
    const s = await client.chat.completions.create({ model: 'gpt-h2ts-mock', messages, stream: true })
    let text = ''
    let firstMs: number | undefined
    for await (const chunk of s) {
      const piece = chunk.choices[0]?.delta.content ?? ''
      if (piece !== '' && firstMs === undefined) firstMs = performance.now() - t0
      text += piece
    }
    const ok = text === EXPECTED
    const r: Outcome = {
      ms: performance.now() - t0,
      ok,
    }
    if (firstMs !== undefined) r.firstMs = firstMs
    if (!ok) r.error = `got ${text}`
    return r
  } catch (e) {
    return { ms: performance.now() - t0, ok: false, error: e instanceof Error ? e.message : String(e) }
  }
}

const options = { apiKey: 'bench-key', maxRetries: 0, timeout: 60_000 }
if (warmupUrl !== undefined && warmup > 0) {
  const client = new OpenAI({ ...options, baseURL: warmupUrl })
  const results = await Promise.all(Array.from({ length: warmup }, () => complete(client)))
  const bad = results.find((r) => !r.ok)
  if (bad !== undefined) throw new Error(`warm-up failed: ${bad.error}`)
}

// Ready: the parent takes its snapshot of the servers, then says go (one line on stdin).
const stdin = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
process.stdout.write('ready\n')
await stdin.next()

connections = 0
requestHeaderBytes = 0
responseHeaderBytes = 0
const client = new OpenAI({ ...options, baseURL: url })
const io0 = io()
const cpu0 = process.cpuUsage()
const t0 = performance.now()
const results = await Promise.all(Array.from({ length: n }, () => complete(client)))
const totalMs = performance.now() - t0
const cpu = process.cpuUsage(cpu0)
const io1 = io()

const failed = results.filter((r) => !r.ok)
process.stdout.write(
  `done ${JSON.stringify({
    n,
    stream,
    totalMs,
    latencies: results.map((r) => r.ms),
    firstTokenMs: results.flatMap((r) => (r.firstMs === undefined ? [] : [r.firstMs])),
    failed: failed.length,
    error: failed[0]?.error,
    cpuUs: cpu.user + cpu.system,
    bytes: { read: io1.read - io0.read, written: io1.written - io0.written },
    connections,
    headerBytes: requestHeaderBytes + responseHeaderBytes,
  })}\n`,
)
// Connections close when this process exits: not before the parent has read the servers' counters.
await stdin.next()
process.exit(0)
