import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../src/config.js'
import { Gateway } from '../src/proxy.js'

const minimal = {
  listen: '127.0.0.1:8080',
  upstreams: { openai: { url: 'https://api.openai.com' } },
  routes: [{ prefix: '/v1/', upstream: 'openai' }],
}

const errorOf = (input: unknown): string => {
  try {
    parseConfig(input)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as Error).message
  }
  throw new Error('the configuration was accepted')
}

describe('configuration', () => {
  it('fills in the seed defaults for HTTP/2 and safe ones for upstreams', () => {
    const config = parseConfig(minimal)
    expect(config.http2).toMatchObject({
      maxConcurrentStreams: 100,
      headerTableSize: 4096,
      initialWindowSize: 65535,
      maxFrameSize: 16384,
      connectionWindowSize: 65535,
      maxHeaderListSize: 65536,
    })
    expect(config.upstreams['openai']).toMatchObject({
      rejectUnauthorized: true,
      maxConnections: 4,
      maxQueued: 1000,
      queueTimeout: 10_000,
      streamWindow: 4 * 1024 * 1024,
      connectionWindow: 32 * 1024 * 1024,
    })
  })

  it('names the bad field and says why', () => {
    expect(errorOf({ ...minimal, listen: 'localhost' })).toMatch(/^ {2}listen: expected HOST:PORT/m)
    expect(errorOf({ ...minimal, http2: { maxFrameSize: 1000 } })).toMatch(/http2\.maxFrameSize: .*16384/)
    expect(errorOf({ ...minimal, http2: { initialWindowSize: 2 ** 31 } })).toMatch(/http2\.initialWindowSize/)
    expect(errorOf({ ...minimal, routes: [{ prefix: '/v1/', upstream: 'nope' }] })).toMatch(
      /routes\.0\.upstream: no upstream named "nope" \(known: openai\)/,
    )
    // Prefixes become part of the :path sent upstream, which is not scanned again on the way out.
    expect(errorOf({ ...minimal, routes: [{ prefix: '/v 1/', upstream: 'openai' }] })).toMatch(
      /routes\.0\.prefix: expected a path starting with "\/"/,
    )
    expect(
      errorOf({ ...minimal, routes: [{ prefix: '/v1/', rewritePrefix: '/a\r\n', upstream: 'openai' }] }),
    ).toMatch(/routes\.0\.rewritePrefix/)
    expect(errorOf({ ...minimal, upstreams: { openai: { url: 'ftp://x' } } })).toMatch(
      /upstreams\.openai\.url/,
    )
    expect(errorOf({ ...minimal, upstreams: { openai: { url: 'https://x', maxConections: 2 } } })).toMatch(
      /upstreams\.openai: .*maxConections/,
    )
    expect(errorOf({ ...minimal, tls: { listen: '127.0.0.1:8443' } })).toMatch(
      /tls: give cert and key, or selfSigned/,
    )
    expect(errorOf({ upstreams: minimal.upstreams, routes: minimal.routes })).toMatch(
      /listen: give listen, tls\.listen/,
    )
  })
})

describe('the h2ts-gateway binary', () => {
  const root = join(import.meta.dirname, '..', '..', '..')
  const dir = mkdtempSync(join(tmpdir(), 'h2ts-cli-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const cli = (...args: string[]) =>
    spawnSync(
      process.execPath,
      ['--import', 'tsx', '--conditions=@h2ts/source', 'packages/gateway/src/cli.ts', ...args],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 30_000,
      },
    )

  it('refuses an invalid YAML config with exit code 2 and the field at fault', () => {
    const file = join(dir, 'bad.yaml')
    writeFileSync(
      file,
      'listen: 127.0.0.1:0\nupstreams:\n  a: { url: "https://x", maxConnections: 0 }\nroutes:\n  - { prefix: /, upstream: a }\n',
    )
    const r = cli('--config', file)
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/upstreams\.a\.maxConnections: /)
  })

  it('runs the demo end to end: a streamed completion through the gateway (the README command)', () => {
    const r = cli('demo', '--listen', '127.0.0.1:0', '--tls-listen', '127.0.0.1:0', '--once')
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('Hello from the h2ts mock model. You said: hi')
    expect(r.stdout).toMatch(/"outcome":"ok"/)
  })
})

describe('route credentials', () => {
  const withBearer = (name: string) =>
    parseConfig({
      ...minimal,
      routes: [{ prefix: '/v1/', upstream: 'openai', auth: { bearerFromEnv: name } }],
    })

  it('a bearer secret that could not travel in a header field is refused at start, naming the variable', () => {
    const variable = 'H2TS_TEST_SECRET'
    process.env[variable] = 'sk-test\n'
    try {
      expect(() => new Gateway(withBearer(variable))).toThrow(
        /route \/v1\/: environment variable H2TS_TEST_SECRET must be printable ASCII/,
      )
      process.env[variable] = 'sk-test'
      const gateway = new Gateway(withBearer(variable))
      gateway.close()
    } finally {
      delete process.env[variable]
    }
  })
})
