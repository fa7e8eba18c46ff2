/**
 * The gateway's configuration: a zod schema (so a bad file is refused at start with the field and the
 * reason), the defaults, and loading from YAML or JSON.
 */
import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080')

/** A path prefix: "/" then printable ASCII (it becomes part of the :path we send, unchecked: forwarding.ts). */
const PATH_PREFIX = /^\/[\x21-\x7e]*$/
const PATH_PREFIX_MESSAGE =
  'expected a path starting with "/" (printable ASCII, no spaces; percent-encode the rest)'

const positiveInt = z.number().int().positive()
const milliseconds = z.number().int().nonnegative()

/** The HTTP/2 settings clients see. Defaults are the seed's: RFC 9113's initial values, 100 streams. */
const http2Schema = z
  .object({
    maxConcurrentStreams: z.number().int().min(1).max(0xffffffff).default(100),
    headerTableSize: z.number().int().min(0).max(0xffffffff).default(4096),
    // RFC 9113 §6.5.2: INITIAL_WINDOW_SIZE ≤ 2^31-1; MAX_FRAME_SIZE in 2^14..2^24-1.
    initialWindowSize: z.number().int().min(0).max(0x7fffffff).default(65535),
    maxFrameSize: z.number().int().min(16384).max(16777215).default(16384),
    connectionWindowSize: z.number().int().min(65535).max(0x7fffffff).default(65535),
    maxHeaderListSize: z.number().int().min(1024).default(65536),
    /** Send a PING after this long without traffic from a client; close if unanswered (0 = off). */
    keepAliveInterval: milliseconds.default(0),
    /** Close a client connection with no open stream for this long (0 = never). */
    idleTimeout: milliseconds.default(300_000),
    /** Close a cleartext connection that sends nothing for this long after connecting (ms). */
    handshakeTimeout: positiveInt.default(10_000),
    /**
     * How responses share a client connection (the engine's `priorities`): 'auto' schedules by RFC 9218
     * urgency when the client or we sent SETTINGS_NO_RFC7540_PRIORITIES = 1, else by the RFC 7540 tree.
     */
    priorities: z.enum(['auto', 'rfc9218', 'rfc7540', 'round-robin']).default('auto'),
  })
  .strict()

const upstreamSchema = z
  .object({
    /** `https://host[:port]` (TLS, ALPN h2) or `http://host:port` (cleartext, prior knowledge). */
    url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL'),
    /** PEM file with the CA(s) to trust instead of Node's bundle. */
    ca: z.string().optional(),
    /** Verify the upstream's certificate (on unless you really mean it). */
    rejectUnauthorized: z.boolean().default(true),
    /** TLS server name (SNI and verification); defaults to the URL's host name. */
    servername: z.string().optional(),
    /** Most connections opened to this upstream. */
    maxConnections: positiveInt.default(4),
    /** Streams per connection at most, below the upstream's own SETTINGS_MAX_CONCURRENT_STREAMS. */
    maxStreamsPerConnection: positiveInt.optional(),
    /** Requests waiting for a stream slot, at most (then 503). */
    maxQueued: z.number().int().nonnegative().default(1000),
    /** How long a request may wait for a slot (then 503). */
    queueTimeout: milliseconds.default(10_000),
    connectTimeout: positiveInt.default(10_000),
    /** PING interval on idle upstream connections; unanswered for one interval → closed. */
    keepAliveInterval: milliseconds.default(30_000),
    /** Close an upstream connection after this long without streams (0 = never). */
    idleTimeout: milliseconds.default(300_000),
    /** Receive windows towards the upstream, so long streamed answers are not held to 64 KiB. */
    streamWindow: z
      .number()
      .int()
      .min(65535)
      .max(0x7fffffff)
      .default(4 * 1024 * 1024),
    connectionWindow: z
      .number()
      .int()
      .min(65535)
      .max(0x7fffffff)
      .default(32 * 1024 * 1024),
    /** Time from sending the request to the response headers (then 504). 0 = no limit. */
    responseTimeout: milliseconds.default(300_000),
    /** Request bodies up to this size are kept so a refused request can be retried (RFC 9113 §8.7). */
    retryBodyLimit: z
      .number()
      .int()
      .nonnegative()
      .default(64 * 1024),
  })
  .strict()

const routeSchema = z
  .object({
    /** Path prefix the route matches (the longest matching prefix wins). */
    prefix: z.string().regex(PATH_PREFIX, PATH_PREFIX_MESSAGE),
    /** Only for requests to this host (`:authority` / `Host`, port ignored). */
    host: z.string().optional(),
    /** Name of an entry of `upstreams`. */
    upstream: z.string(),
    /** Replace the matched prefix with this one before forwarding (default: forward the path as is). */
    rewritePrefix: z.string().regex(PATH_PREFIX, PATH_PREFIX_MESSAGE).optional(),
    /**
     * RFC 9218 priority of this route's requests that carry no `priority` header: orders the responses on
     * the client's connection (when it is scheduled by urgency) and is sent upstream as a `priority` header.
     */
    priority: z
      .object({
        /** 0 (most urgent) to 7; RFC 9218's default is 3. */
        urgency: z.number().int().min(0).max(7).default(3),
        /** The response is useful in pieces (e.g. a token stream) and may share bandwidth (§4.2). */
        incremental: z.boolean().default(false),
      })
      .strict()
      .optional(),
    /** Turn the upstream's `link: <…>; rel=preload` into server pushes to HTTP/2 clients that allow them. */
    push: z.boolean().default(false),
    /** Pushes per response at most (preload links beyond are left to the client). */
    maxPushes: z.number().int().min(1).max(100).default(8),
    auth: z
      .object({
        /** Send `authorization: Bearer $ENV[name]` upstream, replacing what the client sent. */
        bearerFromEnv: z.string().optional(),
        /** Clients must send `authorization: Bearer K` with K one of these (else 401). */
        gatewayKeys: z.array(z.string().min(1)).optional(),
        /** Same, from a comma-separated environment variable. */
        gatewayKeysFromEnv: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict()

export const configSchema = z
  .object({
    /** Cleartext listener: HTTP/2 with prior knowledge and HTTP/1.1 on one port. */
    listen: hostPort.optional(),
    tls: z
      .object({
        listen: hostPort,
        cert: z.string().optional(),
        key: z.string().optional(),
        /** Make a development certificate for localhost at start. */
        selfSigned: z.boolean().default(false),
      })
      .strict()
      .refine((t) => t.selfSigned || (t.cert !== undefined && t.key !== undefined), {
        message: 'give cert and key, or selfSigned: true',
      })
      .optional(),
    /** Admin listener (health, metrics). */
    admin: hostPort.optional(),
    http2: http2Schema.default(http2Schema.parse({})),
    upstreams: z.record(z.string(), upstreamSchema),
    routes: z.array(routeSchema).min(1, 'at least one route is needed'),
    /** Print one JSON line per stream on stdout. */
    accessLog: z.boolean().default(true),
    /** On SIGTERM/SIGINT, how long streams in flight may take to finish before their connections close. */
    drainTimeout: milliseconds.default(30_000),
    /** Processes serving the same ports (node:cluster); metrics are aggregated on the admin listener. */
    workers: z.number().int().min(1).max(256).default(1),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.listen === undefined && config.tls === undefined) {
      ctx.addIssue({ code: 'custom', message: 'give listen, tls.listen or both', path: ['listen'] })
    }
    config.routes.forEach((route, i) => {
      if (config.upstreams[route.upstream] === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `no upstream named "${route.upstream}" (known: ${Object.keys(config.upstreams).join(', ') || 'none'})`,
          path: ['routes', i, 'upstream'],
        })
      }
    })
  })

export type GatewayConfig = z.output<typeof configSchema>
export type GatewayConfigInput = z.input<typeof configSchema>
export type UpstreamConfig = z.output<typeof upstreamSchema>
export type RouteConfig = z.output<typeof routeSchema>
export type Http2Config = z.output<typeof http2Schema>

/** A configuration that failed validation; `message` lists every bad field and why, one per line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

/** Validates a configuration object, filling in defaults. Throws ConfigError naming each bad field. */
export function parseConfig(input: unknown, source = 'config'): GatewayConfig {
  const result = configSchema.safeParse(input)
  if (result.success) return result.data
  const lines = result.error.issues.map((issue) => {
    const path = issue.path.length === 0 ? '(top level)' : issue.path.map(String).join('.')
    return `  ${path}: ${issue.message}`
  })
  throw new ConfigError(`invalid ${source}:\n${lines.join('\n')}`)
}

/** Reads a YAML or JSON file (JSON is YAML, so one parser reads both) and validates it. */
export function loadConfigFile(path: string): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message}`)
  }
  try {
    return parseYaml(text)
  } catch (error) {
    throw new ConfigError(`${path} is not valid YAML or JSON: ${(error as Error).message}`)
  }
}

/** Splits `HOST:PORT` (IPv6 in brackets). */
export function splitHostPort(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(':')
  return { host: value.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(value.slice(at + 1)) }
}
