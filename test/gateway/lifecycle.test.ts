/**
 * The gateway binary as a process: its JSON access log, a drain on SIGTERM that loses nothing, a reload on
 * SIGHUP that drops nothing (and refuses a bad file), and two workers sharing one port.
 */

import { writeFileSync } from 'node:fs'
import * as http from 'node:http'
import * as http2 from 'node:http2'
import { join } from 'node:path'
import { type MockUpstream, startMockUpstream } from '@h2ts/gateway'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type Daemon, makeTempDir, spawnDaemon } from '../support/peers.js'

const root = join(import.meta.dirname, '..', '..')
const tmp = makeTempDir('h2ts-gw-life-')
const daemons: Daemon[] = []
let mockA: MockUpstream
let mockB: MockUpstream

beforeAll(async () => {
  mockA = await startMockUpstream({ tokenInterval: 15 })
  mockB = await startMockUpstream({ tokenInterval: 15 })
})
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.close()
})
afterAll(async () => {
  await mockA?.close()
  await mockB?.close()
  await tmp.cleanup()
})

function writeConfig(name: string, upstreamUrl: string, extra: string[] = []): string {
  const file = join(tmp.path, name)
  writeFileSync(
    file,
    [
      'listen: 127.0.0.1:0',
      ...extra,
      'upstreams:',
      '  llm:',
      `    url: ${upstreamUrl}`,
      'routes:',
      '  - prefix: /v1/',
      '    upstream: llm',
      '    auth: { gatewayKeys: [gw-secret-key-123] }',
      '',
    ].join('\n'),
  )
  return file
}

interface LogLine {
  msg: string
  pid: number
  [field: string]: unknown
}

/** Starts the binary; resolves once it logged 'listening', with its URLs and parsed log lines. */
async function startBinary(config: string) {
  const daemon = spawnDaemon(
    process.execPath,
    ['--import', 'tsx', '--conditions=@h2ts/source', 'packages/gateway/src/cli.ts', '--config', config],
    { cwd: root },
  )
  daemons.push(daemon)
  const lines = (): LogLine[] =>
    daemon
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine)
  const deadline = Date.now() + 20_000
  for (;;) {
    const listening = lines().find((l) => l.msg === 'listening')
    if (listening !== undefined) {
      const urls = listening['urls'] as { cleartext: string; admin?: string }
      return { daemon, lines, url: urls.cleartext, admin: urls.admin }
    }
    if (Date.now() > deadline) throw new Error(`the gateway did not start:\n${daemon.output()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const auth = { authorization: 'Bearer gw-secret-key-123' }

/** A streamed chat completion over HTTP/2; resolves with its text once [DONE] arrived. */
function streamedCompletion(client: http2.ClientHttp2Session, content: string, onFirst?: () => void) {
  return new Promise<string>((resolve, reject) => {
    const req = client.request({
      ':method': 'POST',
      ':path': '/v1/chat/completions',
      'content-type': 'application/json',
      ...auth,
    })
    req.end(JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content }] }))
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      if (raw === '') onFirst?.()
      raw += chunk
    })
    req.on('end', () => {
      if (!raw.endsWith('data: [DONE]\n\n')) return reject(new Error(`cut short: ${raw.slice(-80)}`))
      const text = raw
        .split('\n\n')
        .filter((e) => e.startsWith('data: {'))
        .map(
          (e) =>
            (JSON.parse(e.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta
              .content ?? '',
        )
        .join('')
      resolve(text)
    })
    req.on('error', reject)
  })
}

function h1Get(url: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${url}${path}`, { headers: auth, agent: false }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => {
          body += c
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
      .on('error', reject)
  })
}

const exited = (daemon: Daemon) =>
  new Promise<number | null>((resolve) => {
    if (daemon.child.exitCode !== null) return resolve(daemon.child.exitCode)
    daemon.child.once('exit', (code) => resolve(code))
  })

describe('the gateway process', () => {
  it('logs one JSON line per stream, without secrets', async () => {
    const gw = await startBinary(writeConfig('log.yaml', mockA.url))
    const client = http2.connect(gw.url)
    try {
      expect(await streamedCompletion(client, 'log me')).toBe(
        'Hello from the h2ts mock model. You said: log me',
      )
    } finally {
      client.close()
    }
    const deadline = Date.now() + 5000
    while (!gw.lines().some((l) => l.msg === 'stream') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20))
    const line = gw.lines().find((l) => l.msg === 'stream')!
    expect(line).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      status: 200,
      outcome: 'ok',
      protocol: 'h2',
    })
    expect(typeof line['requestId']).toBe('string')
    expect(line['bytesOut']).toBeGreaterThan(0)
    expect(gw.daemon.output()).not.toContain('gw-secret-key-123')
  })

  it('drains on SIGTERM: every stream in flight finishes, new connections are refused, exit code 0', async () => {
    const gw = await startBinary(writeConfig('drain.yaml', mockA.url))
    const clients = Array.from({ length: 4 }, () => http2.connect(gw.url))
    for (const c of clients) c.on('error', () => {})
    let started = 0
    const h2runs = Array.from({ length: 40 }, (_, i) =>
      streamedCompletion(clients[i % 4]!, `h2 ${i}`, () => {
        started++
      }),
    )
    const h1runs = Array.from({ length: 5 }, () => h1Get(gw.url, '/v1/models'))
    while (started < 40) await new Promise((r) => setTimeout(r, 5))
    const exit = exited(gw.daemon)
    gw.daemon.child.kill('SIGTERM')
    const texts = await Promise.all(h2runs)
    texts.forEach((text, i) => {
      expect(text).toBe(`Hello from the h2ts mock model. You said: h2 ${i}`)
    })
    for (const r of await Promise.all(h1runs)) expect(r.status).toBe(200)
    expect(await exit).toBe(0)
    await expect(h1Get(gw.url, '/v1/models')).rejects.toThrow(/ECONNREFUSED/)
    expect(gw.lines().some((l) => l.msg === 'drained')).toBe(true)
    for (const c of clients) c.destroy()
  })

  it('reloads on SIGHUP without dropping a request, and refuses an invalid file', async () => {
    const config = writeConfig('reload.yaml', mockA.url)
    const gw = await startBinary(config)
    const seenByB: string[] = []
    const onB = (_m: string, path: string) => seenByB.push(path)
    mockB.on('request', onB)
    const client = http2.connect(gw.url)
    client.on('error', () => {})
    const results: number[] = []
    let running = true
    const load = (async () => {
      // Bounded: stops when told, or after 400 requests per worker loop.
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let i = 0; running && i < 400; i++) {
            const status = await new Promise<number>((resolve, reject) => {
              const req = client.request({ ':path': '/v1/models', ...auth })
              req.on('response', (h) => resolve(Number(h[':status'])))
              req.on('error', reject)
              req.resume()
            })
            results.push(status)
          }
        }),
      )
    })()
    await new Promise((r) => setTimeout(r, 150))
    writeConfig('reload.yaml', mockB.url)
    gw.daemon.child.kill('SIGHUP')
    const deadline = Date.now() + 5000
    while (seenByB.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    expect(seenByB.length).toBeGreaterThan(0)
    // A broken file: refused, and the running configuration keeps serving.
    writeFileSync(config, 'listen: 127.0.0.1:0\nupstreams: {}\nroutes: []\n')
    gw.daemon.child.kill('SIGHUP')
    while (!gw.lines().some((l) => l.msg === 'reload refused') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10))
    await new Promise((r) => setTimeout(r, 100))
    running = false
    await load
    mockB.off('request', onB)
    client.close()
    expect(gw.lines().filter((l) => l.msg === 'configuration reloaded')).toHaveLength(1)
    expect(gw.lines().find((l) => l.msg === 'reload refused')?.['error']).toMatch(/routes/)
    expect(results.length).toBeGreaterThan(20)
    expect(results.every((s) => s === 200)).toBe(true)
  })

  it('runs two workers on one port that share the load, with metrics summed across them', async () => {
    const gw = await startBinary(writeConfig('workers.yaml', mockA.url, ['workers: 2', 'admin: 127.0.0.1:0']))
    // A new connection per request, so the kernel spreads them over both workers.
    for (let i = 0; i < 40; i++) expect((await h1Get(gw.url, '/v1/models')).status).toBe(200)
    const deadline = Date.now() + 5000
    while (gw.lines().filter((l) => l.msg === 'stream').length < 40 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20))
    const pids = new Set(
      gw
        .lines()
        .filter((l) => l.msg === 'stream')
        .map((l) => l.pid),
    )
    expect(pids.size).toBe(2)
    const metrics = await (await fetch(`${gw.admin}/metrics`)).text()
    const total = /^h2ts_streams_total\{side="client"\} (\d+)/m.exec(metrics)
    expect(Number(total?.[1])).toBe(40)
    expect((await fetch(`${gw.admin}/readyz`)).status).toBe(200)
    const exit = exited(gw.daemon)
    gw.daemon.child.kill('SIGTERM')
    expect(await exit).toBe(0)
  })
})
