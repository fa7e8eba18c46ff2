/**
 * The `openai` npm client (the SDK most of the gateway's users run) pointed at the gateway, with the mock
 * OpenAI upstream behind it. The SDK speaks HTTP/1.1 (Node's fetch), so this also covers the HTTP/1.1
 * front; the gateway carries every request as a stream on its pooled HTTP/2 upstream connections.
 */
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, startHarness } from './support.js'

describe('gateway with the openai client', () => {
  let h: Harness
  let client: OpenAI

  beforeAll(async () => {
    // The gateway injects the upstream key; the client presents a gateway key only.
    process.env['H2TS_TEST_UPSTREAM_KEY'] = 'sk-upstream-secret'
    h = await startHarness({
      mock: { apiKey: 'sk-upstream-secret', tokenInterval: 5 },
      config: {
        routes: [
          {
            prefix: '/v1/',
            upstream: 'mock',
            auth: { bearerFromEnv: 'H2TS_TEST_UPSTREAM_KEY', gatewayKeys: ['gw-key-1'] },
          },
        ],
      },
    })
    client = new OpenAI({ apiKey: 'gw-key-1', baseURL: `${h.gateway.urls.cleartext}/v1`, maxRetries: 0 })
  })
  afterAll(async () => {
    await h?.close()
  })

  it('lists models', async () => {
    const models = await client.models.list()
    expect(models.data.map((m) => m.id)).toEqual(['gpt-h2ts-mock'])
  })

  it('answers a chat completion', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-h2ts-mock',
      messages: [{ role: 'user', content: 'ping through the gateway' }],
    })
    expect(completion.object).toBe('chat.completion')
    expect(completion.choices[0]?.message.content).toBe(
      'Hello from the h2ts mock model. You said: ping through the gateway',
    )
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0)
  })

  it('streams a chat completion chunk by chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-h2ts-mock',
      messages: [{ role: 'user', content: 'stream me' }],
      stream: true,
    })
    const parts: string[] = []
    let finish: string | null | undefined
    for await (const chunk of stream) {
      const choice = chunk.choices[0]
      if (choice?.delta.content) parts.push(choice.delta.content)
      if (choice?.finish_reason) finish = choice.finish_reason
    }
    expect(parts.join('')).toBe('Hello from the h2ts mock model. You said: stream me')
    expect(parts.length).toBeGreaterThan(5)
    expect(finish).toBe('stop')
  })

  it('refuses a client without a gateway key with 401 in the OpenAI error shape', async () => {
    const stranger = new OpenAI({
      apiKey: 'not-a-key',
      baseURL: `${h.gateway.urls.cleartext}/v1`,
      maxRetries: 0,
    })
    const error = await stranger.models.list().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError)
    const e = error as InstanceType<typeof OpenAI.AuthenticationError>
    expect(e.status).toBe(401)
    expect(e.code).toBe('invalid_api_key')
    expect(e.type).toBe('invalid_request_error')
  })

  it('carries 100 concurrent streaming completions on one upstream connection', async () => {
    const before = h.records.length
    const runs = Array.from({ length: 100 }, async (_, i) => {
      const stream = await client.chat.completions.create({
        model: 'gpt-h2ts-mock',
        messages: [{ role: 'user', content: `n${i}` }],
        stream: true,
      })
      let text = ''
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
      return text
    })
    const texts = await Promise.all(runs)
    texts.forEach((text, i) => {
      expect(text).toBe(`Hello from the h2ts mock model. You said: n${i}`)
    })
    // Wait for all 100 access-log records (they are emitted when each response has been passed on).
    while (h.records.length < before + 100) await new Promise((r) => setTimeout(r, 10))
    const records = h.records.slice(before)
    expect(records.every((r) => r.outcome === 'ok' && r.status === 200)).toBe(true)
    expect(new Set(records.map((r) => r.upstreamConnection)).size).toBe(1)
    expect(h.gateway.gateway.pools.get('mock')!.stats.connections).toBe(1)
  })
})
