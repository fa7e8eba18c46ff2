#!/usr/bin/env node
/**
 * h2ts-gateway: `--config FILE` (YAML or JSON) and/or flags for the common case; `demo` runs the embedded
 * OpenAI-compatible mock upstream with the gateway in front of it, no network needed.
 */
import { parseArgs } from 'node:util'
import { connect } from '@h2ts/streams/node'
import { ConfigError, type GatewayConfigInput, loadConfigFile, parseConfig } from './config.js'
import { startMockUpstream } from './mock-upstream.js'
import type { StreamRecord } from './proxy.js'
import { createLogger, logStream, serve } from './serve.js'
import { type RunningGateway, startGateway } from './start.js'

const USAGE = `usage:
  h2ts-gateway --config FILE [flags]
  h2ts-gateway --listen HOST:PORT --upstream URL [flags]
  h2ts-gateway demo [--listen HOST:PORT] [--tls-listen HOST:PORT] [--once]

flags:
  --config FILE          YAML or JSON configuration (see the README for every field)
  --listen HOST:PORT     cleartext listener: HTTP/2 (prior knowledge) and HTTP/1.1
  --tls-listen HOST:PORT TLS listener: ALPN h2 and http/1.1
  --cert FILE --key FILE certificate and key (PEM) for --tls-listen
  --self-signed          make a development certificate for localhost at start
  --upstream URL         route every path to this upstream (https:// or http://)
  --api-key-env NAME     send "authorization: Bearer $NAME" to the upstream
  --admin HOST:PORT      admin listener: /metrics, /healthz, /readyz
  --workers N            N processes serving the same ports (node:cluster)
  --no-access-log        do not print one JSON line per stream
  --once                 demo: make one streamed request through the gateway, then exit
`

function fail(message: string): never {
  process.stderr.write(`h2ts-gateway: ${message}\n`)
  process.exit(2)
}

async function main(argv: string[]): Promise<void> {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`)
  }
  const { values, positionals } = parsed
  if (values.help === true) {
    process.stdout.write(USAGE)
    return
  }
  if (positionals[0] === 'demo') return demo(values)
  if (positionals.length > 0) fail(`unknown command ${positionals[0]}\n\n${USAGE}`)

  let input: Record<string, unknown> = {}
  try {
    if (values.config !== undefined) {
      const loaded = loadConfigFile(values.config)
      if (typeof loaded !== 'object' || loaded === null)
        throw new ConfigError(`${values.config}: not a mapping`)
      input = loaded as Record<string, unknown>
    }
    applyFlags(input, values)
    const config = parseConfig(input, values.config ?? 'flags')
    // SIGHUP re-reads the file (flags still apply on top).
    const source = () => {
      const again = values.config === undefined ? {} : loadConfigFile(values.config)
      if (typeof again !== 'object' || again === null)
        throw new ConfigError(`${values.config}: not a mapping`)
      const next = again as Record<string, unknown>
      applyFlags(next, values)
      return parseConfig(next, values.config ?? 'flags')
    }
    await serve(config, source)
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message)
    fail((error as Error).message)
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      listen: { type: 'string' },
      'tls-listen': { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      'self-signed': { type: 'boolean' },
      upstream: { type: 'string' },
      'api-key-env': { type: 'string' },
      admin: { type: 'string' },
      workers: { type: 'string' },
      'no-access-log': { type: 'boolean' },
      once: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

type Flags = ReturnType<typeof parse>['values']

/** Flags override the file's fields of the same meaning. */
function applyFlags(input: Record<string, unknown>, flags: Flags): void {
  if (flags.listen !== undefined) input['listen'] = flags.listen
  if (flags['tls-listen'] !== undefined || flags.cert !== undefined || flags['self-signed'] === true) {
    const tls = { ...(input['tls'] as Record<string, unknown> | undefined) }
    if (flags['tls-listen'] !== undefined) tls['listen'] = flags['tls-listen']
    if (flags.cert !== undefined) tls['cert'] = flags.cert
    if (flags.key !== undefined) tls['key'] = flags.key
    if (flags['self-signed'] === true) tls['selfSigned'] = true
    input['tls'] = tls
  }
  if (flags.admin !== undefined) input['admin'] = flags.admin
  if (flags.workers !== undefined) input['workers'] = Number(flags.workers)
  if (flags['no-access-log'] === true) input['accessLog'] = false
  if (flags.upstream !== undefined) {
    input['upstreams'] = {
      ...(input['upstreams'] as Record<string, unknown> | undefined),
      default: { url: flags.upstream },
    }
    const auth = flags['api-key-env'] === undefined ? {} : { auth: { bearerFromEnv: flags['api-key-env'] } }
    input['routes'] = [{ prefix: '/', upstream: 'default', ...auth }]
  }
}

/** SIGTERM/SIGINT: stop accepting, GOAWAY, let streams finish (up to 10 s), exit 0. */
function handleSignals(running: RunningGateway, cleanup: () => Promise<void> = async () => {}): void {
  let stopping = false
  const stop = () => {
    if (stopping) process.exit(1)
    stopping = true
    process.stderr.write('h2ts-gateway: draining\n')
    const deadline = setTimeout(() => process.exit(0), 10_000)
    deadline.unref()
    void running
      .close()
      .then(cleanup)
      .then(() => process.exit(0))
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

/** Tries a port, then any free port if it is taken (the demo must start on a busy machine too). */
async function startOnFreePorts(
  input: GatewayConfigInput,
  onStream: (record: StreamRecord) => void,
): Promise<RunningGateway> {
  try {
    return await startGateway(parseConfig(input, 'demo'), { onStream })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
    const anyPort = (address: string | undefined) =>
      address === undefined ? undefined : `${address.slice(0, address.lastIndexOf(':'))}:0`
    const retry: GatewayConfigInput = { ...input }
    const listen = anyPort(input.listen)
    if (listen !== undefined) retry.listen = listen
    if (input.tls !== undefined) retry.tls = { ...input.tls, listen: anyPort(input.tls.listen)! }
    return startGateway(parseConfig(retry, 'demo'), { onStream })
  }
}

async function demo(flags: Flags): Promise<void> {
  const mock = await startMockUpstream({ tokenInterval: 40 })
  const logLines: string[] = []
  const log = logStream(createLogger())
  const running = await startOnFreePorts(
    {
      listen: flags.listen ?? '127.0.0.1:8080',
      tls: { listen: flags['tls-listen'] ?? '127.0.0.1:8443', selfSigned: true },
      upstreams: { mock: { url: mock.url } },
      routes: [{ prefix: '/v1/', upstream: 'mock' }],
    },
    (record) => {
      if (flags.once === true) logLines.push(JSON.stringify(record))
      else if (flags['no-access-log'] !== true) log(record)
    },
  )
  const plain = running.urls.cleartext!
  const secure = running.urls.tls!
  const body = '{"model":"gpt-h2ts-mock","stream":true,"messages":[{"role":"user","content":"hi"}]}'
  process.stdout.write(
    [
      'h2ts-gateway demo: an OpenAI-compatible mock upstream, and the gateway in front of it',
      `  mock upstream (HTTP/2, cleartext):  ${mock.url}`,
      `  gateway, HTTP/2 + HTTP/1.1:         ${plain}`,
      `  gateway, TLS (self-signed):         ${secure}`,
      '',
      'Try:',
      `  curl --http2-prior-knowledge ${plain}/v1/models`,
      `  curl -N -k --http2 ${secure}/v1/chat/completions -H 'content-type: application/json' \\`,
      `       -d '${body}'`,
      `  OPENAI_BASE_URL=${plain}/v1 OPENAI_API_KEY=unused <your OpenAI SDK program>`,
      '',
      'A streamed chat completion through the gateway, token by token:',
      '',
    ].join('\n'),
  )
  // Show it working: stream one completion through the gateway with our own HTTP/2 client.
  const session = await connect(plain)
  const request = session.request({
    ':method': 'POST',
    ':path': '/v1/chat/completions',
    'content-type': 'application/json',
  })
  request.end(body)
  const response = await request.response
  let text = ''
  let buffered = ''
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    buffered += chunk.toString('utf8')
    let at = buffered.indexOf('\n\n')
    while (at >= 0) {
      const event = buffered.slice(0, at)
      buffered = buffered.slice(at + 2)
      at = buffered.indexOf('\n\n')
      const data = event.replace(/^data: /, '')
      if (data === '[DONE]') continue
      const token = (JSON.parse(data) as { choices: Array<{ delta: { content?: string } }> }).choices[0]
        ?.delta.content
      if (token !== undefined) {
        text += token
        process.stdout.write(token)
      }
    }
  }
  process.stdout.write(
    `\n\n(status ${response.status}, ${text.length} characters, over HTTP/2 to the gateway)\n`,
  )
  session.close()
  if (flags.once === true) {
    process.stdout.write(`access log:\n${logLines.join('\n')}\n`)
    await running.close()
    await mock.close()
    process.exit(response.status === 200 && text.length > 0 ? 0 : 1)
  }
  process.stdout.write(
    '\nThe gateway keeps running (one JSON access-log line per stream below). Ctrl-C to stop.\n',
  )
  handleSignals(running, () => mock.close())
}

main(process.argv.slice(2)).catch((error: unknown) => fail((error as Error).stack ?? String(error)))
