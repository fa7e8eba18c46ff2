/**
 * An OpenAI-compatible mock API served by our own HTTP/2 server: `GET /v1/models` and
 * `POST /v1/chat/completions`, with and without `stream: true`, the answer arriving a token at a time like
 * a real model's. It is the demo's upstream and the tests' stand-in for api.openai.com.
 */
import { EventEmitter } from 'node:events'
import type { Writable } from 'node:stream'
import { createServer, type Http2Server, type ServerRequest, type ServerResponse } from '@h2ts/streams/node'
import { errorBody } from './proxy.js'

export interface MockUpstreamOptions {
  /** Milliseconds between streamed tokens (default 20). */
  tokenInterval?: number
  /** Require `authorization: Bearer <apiKey>` (401 otherwise). */
  apiKey?: string
  /** Serve TLS (ALPN h2) with this certificate instead of cleartext. */
  tls?: { cert: string; key: string }
  /** SETTINGS_MAX_CONCURRENT_STREAMS (default 1000, so tests can multiplex many streams on one connection). */
  maxConcurrentStreams?: number
  host?: string
  port?: number
}

/** Events: 'request' (method, path, headers), 'reset' ({ path, code }) when a client resets a stream. */
export interface MockUpstream extends EventEmitter {
  readonly url: string
  readonly server: Http2Server
  close(): Promise<void>
}

const MODEL = 'gpt-h2ts-mock'
const MAX_BODY = 1024 * 1024

export async function startMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const events = new EventEmitter()
  const interval = options.tokenInterval ?? 20
  const server = createServer(
    {
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      connection: {
        settings: { maxConcurrentStreams: options.maxConcurrentStreams ?? 1000 },
      },
    },
    (req, res) => {
      events.emit('request', req.method, req.path, req.headers)
      res.once('close', () => {
        if (req.resetError !== undefined) events.emit('reset', { path: req.path, code: req.resetError.code })
      })
      handle(req, res, options, interval).catch(() => {
        if (!res.headersSent)
          sendJson(res, 500, JSON.parse(errorBody('mock failure', 'server_error', 'mock')))
        else res.reset()
      })
    },
  )
  const port = await server.listen(options.port ?? 0, options.host ?? '127.0.0.1')
  const scheme = options.tls === undefined ? 'http' : 'https'
  return Object.assign(events, {
    url: `${scheme}://${options.host ?? '127.0.0.1'}:${port}`,
    server,
    close: () => server.destroy(),
  })
}

async function handle(
  req: ServerRequest,
  res: ServerResponse,
  options: MockUpstreamOptions,
  interval: number,
): Promise<void> {
  if (options.apiKey !== undefined && req.headers['authorization'] !== `Bearer ${options.apiKey}`) {
    return sendError(res, 401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key')
  }
  const path = (req.path ?? '').split('?')[0]
  if (req.method === 'GET' && path === '/v1/models') {
    return sendJson(res, 200, {
      object: 'list',
      data: [{ id: MODEL, object: 'model', created: 1_764_000_000, owned_by: 'h2ts' }],
    })
  }
  if (req.method === 'POST' && path === '/v1/chat/completions') {
    const body = await readJson(req)
    if (body === undefined) {
      return sendError(
        res,
        400,
        'The request body is not valid JSON.',
        'invalid_request_error',
        'invalid_json',
      )
    }
    const answer = mockChatAnswer(body)
    if (answer.events === undefined) {
      await delay(interval * answer.thinkIntervals)
      return sendJson(res, 200, answer.completion)
    }
    res.respond(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
    return writeMockEvents(res, answer.events, interval)
  }
  return sendError(
    res,
    404,
    `Unknown request URL: ${req.method} ${path}.`,
    'invalid_request_error',
    'unknown_url',
  )
}

/** The mock model's answer to a chat completion request, whatever protocol carries it. */
export interface MockChatAnswer {
  /** The JSON body of a non-streamed answer. */
  completion: Record<string, unknown>
  /** Token intervals the model "thinks" before a non-streamed answer. */
  thinkIntervals: number
  /**
   * For `stream: true`: the server-sent events (without the final `data: [DONE]`), as the Chat Completions
   * streaming API sends them: the role, one chunk per token, then the stop chunk.
   */
  events: string[] | undefined
}

/** Builds the mock's answer to a Chat Completions request body: it echoes the last user message. */
export function mockChatAnswer(body: Record<string, unknown>): MockChatAnswer {
  const messages = Array.isArray(body['messages']) ? (body['messages'] as Array<Record<string, unknown>>) : []
  const last = messages.at(-1)?.['content']
  const prompt = typeof last === 'string' ? last : ''
  const reply = `Hello from the h2ts mock model. You said: ${prompt || '(nothing)'}`
  const tokens = reply.split(/(?<= )/)
  const model = typeof body['model'] === 'string' ? body['model'] : MODEL
  const id = `chatcmpl-${Math.random().toString(36).slice(2, 12)}`
  const created = Math.floor(Date.now() / 1000)
  const promptTokens = prompt.split(/\s+/).filter(Boolean).length
  const completion = {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: tokens.length,
      total_tokens: promptTokens + tokens.length,
    },
  }
  if (body['stream'] !== true)
    return { completion, thinkIntervals: Math.min(tokens.length, 5), events: undefined }
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    `data: ${JSON.stringify({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    })}\n\n`
  const events = [chunk({ role: 'assistant', content: '' }, null)]
  for (const token of tokens) events.push(chunk({ content: token }, null))
  events.push(chunk({}, 'stop'))
  return { completion, thinkIntervals: 0, events }
}

/**
 * Writes streamed events like a model generating them: the first at once, each next one `interval` ms
 * later, then `data: [DONE]`. Stops as soon as the response is destroyed (the client went away).
 */
export async function writeMockEvents(
  res: Writable,
  events: readonly string[],
  interval: number,
): Promise<void> {
  res.write(events[0])
  for (let i = 1; i < events.length; i++) {
    await delay(interval)
    if (res.destroyed) return // the client reset the stream: stop generating
    res.write(events[i])
  }
  res.end('data: [DONE]\n\n')
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value)
  res.respond(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

function sendError(res: ServerResponse, status: number, message: string, type: string, code: string): void {
  sendJson(res, status, JSON.parse(errorBody(message, type, code)))
}

async function readJson(req: ServerRequest): Promise<Record<string, unknown> | undefined> {
  if (!req.hasBody) return undefined
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req.body as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY) return undefined
    chunks.push(chunk)
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
