/**
 * Real HTTP/2 peers for interop tests and benchmarks: curl, nghttp, nghttpd (and h2load, used by bench/).
 *
 * Everything here is loopback-only (127.0.0.1), takes its ports from the OS (port 0), bounds every child
 * process with a timeout and kills whatever is still running when the process exits. A machine without a
 * peer binary skips the tests that need it and says so once, visibly (`describe.skipIf(!hasCommand('nghttp'))`);
 * CI installs them in `.ci/run`.
 *
 * No vitest import here: bench/ uses these helpers too.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
} from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { type AddressInfo, createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'

// ---------------------------------------------------------------------------------------------------------
// Child processes

const children = new Set<ChildProcess>()
const tempDirs = new Set<string>()
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true })
})

const installHint: Record<string, string> = {
  nghttp: 'apt-get install nghttp2-client',
  h2load: 'apt-get install nghttp2-client',
  nghttpd: 'apt-get install nghttp2-server',
  curl: 'apt-get install curl',
  taskset: 'apt-get install util-linux',
}
const commandCache = new Map<string, string | undefined>()

/** Absolute path of an executable found on PATH (or in /usr/sbin, /sbin), or undefined. */
export function findCommand(name: string): string | undefined {
  if (commandCache.has(name)) return commandCache.get(name)
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin']
  let found: string | undefined
  for (const d of dirs) {
    if (d === '') continue
    try {
      accessSync(join(d, name), constants.X_OK)
      found = join(d, name)
      break
    } catch {
      // not here
    }
  }
  commandCache.set(name, found)
  return found
}

const warnedCommands = new Set<string>()

/**
 * Whether a peer binary is installed. When it is not, prints a note once per name so the skip is visible in
 * the test output; use with `describe.skipIf(!hasCommand('nghttp'))`.
 */
export function hasCommand(name: string): boolean {
  const ok = findCommand(name) !== undefined
  if (!ok && !warnedCommands.has(name)) {
    warnedCommands.add(name)
    const hint = installHint[name]
    console.warn(
      `[h2ts] '${name}' not found: tests that need it are SKIPPED${hint === undefined ? '' : ` (${hint})`}`,
    )
  }
  return ok
}

export interface RunOptions {
  /** Kill the process (SIGKILL) and reject when it has not exited after this long. */
  timeoutMs: number
  /** Written to the child's stdin, which is then closed. Without it stdin is /dev/null. */
  input?: Uint8Array | string
  cwd?: string
  env?: NodeJS.ProcessEnv
  /**
   * Hash stdout instead of keeping it (for 100 MiB downloads): `stdout` is then empty and `stdoutSha256` /
   * `stdoutBytes` are set.
   */
  hashStdout?: boolean
}

export interface RunResult {
  /** Exit code, or null when the process died of a signal. */
  code: number | null
  signal: NodeJS.Signals | null
  stdout: Buffer
  stderr: string
  /** With `hashStdout`: lowercase hex SHA-256 of everything written to stdout. */
  stdoutSha256?: string
  stdoutBytes: number
  ms: number
}

/** Error thrown by `run` when a child process times out or cannot start. */
export class PeerProcessError extends Error {
  override name = 'PeerProcessError'
}

function describeCmd(cmd: string, args: readonly string[]): string {
  const s = [cmd, ...args].map((a) => (/[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ')
  return s.length > 300 ? `${s.slice(0, 300)}…` : s
}

/**
 * Runs a command to completion and collects its output. Never hangs: past `timeoutMs` the child is killed
 * and the promise rejects with a `PeerProcessError` naming the command and the tail of its stderr. A non-zero
 * exit code is returned, not thrown: each caller knows what its peer's codes mean.
 */
export function run(cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      cwd: opts.cwd,
      env: opts.env ?? process.env,
    })
    children.add(child)
    const out: Buffer[] = []
    const hash = opts.hashStdout ? createHash('sha256') : undefined
    let outBytes = 0
    let err = ''
    child.stdout?.on('data', (b: Buffer) => {
      outBytes += b.length
      if (hash) hash.update(b)
      else out.push(b)
    })
    child.stderr?.on('data', (b: Buffer) => {
      err += b.toString('utf8')
      if (err.length > 1_000_000) err = err.slice(-500_000)
    })
    let settled = false
    const timer = setTimeout(() => {
      // Settle now rather than on 'close': a grandchild may hold the pipes open after the kill.
      settled = true
      child.kill('SIGKILL')
      child.stdout?.destroy()
      child.stderr?.destroy()
      children.delete(child)
      reject(
        new PeerProcessError(
          `timed out after ${opts.timeoutMs} ms: ${describeCmd(cmd, args)}\nstderr: ${err.slice(-2000)}`,
        ),
      )
    }, opts.timeoutMs)
    child.on('error', (e) => {
      clearTimeout(timer)
      children.delete(child)
      if (settled) return
      settled = true
      reject(new PeerProcessError(`cannot run ${describeCmd(cmd, args)}: ${e.message}`))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      children.delete(child)
      if (settled) return
      settled = true
      const result: RunResult = {
        code,
        signal,
        stdout: Buffer.concat(out),
        stderr: err,
        stdoutBytes: outBytes,
        ms: performance.now() - started,
      }
      if (hash) result.stdoutSha256 = hash.digest('hex')
      resolve(result)
    })
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on('error', () => {
        // the child may exit before reading all of its input; its exit code tells the story
      })
      child.stdin.end(opts.input)
    }
  })
}

export interface Daemon {
  readonly pid: number
  readonly child: ChildProcess
  /** Everything the process printed so far (stdout then stderr, interleaved as received). */
  output(): string
  /** SIGTERM, then SIGKILL after `graceMs` (default 2000); resolves when the process is gone. */
  close(graceMs?: number): Promise<void>
}

/** Starts a long-running process (a server peer), tracked so it is killed when this process exits. */
export function spawnDaemon(cmd: string, args: readonly string[], opts: { cwd?: string } = {}): Daemon {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd })
  children.add(child)
  let log = ''
  const append = (b: Buffer) => {
    log += b.toString('utf8')
    if (log.length > 200_000) log = log.slice(-100_000)
  }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      children.delete(child)
      resolve()
    })
    child.once('error', (e) => {
      log += `\n[spawn error] ${e.message}`
      children.delete(child)
      resolve()
    })
  })
  return {
    pid: child.pid ?? -1,
    child,
    output: () => log,
    async close(graceMs = 2000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs)
        await exited
        clearTimeout(t)
      }
      await exited
    },
  }
}

// ---------------------------------------------------------------------------------------------------------
// Ports

/** TCP ports a process listens on, from /proc (Linux). Empty when /proc is unavailable. */
export function listeningPorts(pid: number): number[] {
  let inodes: Set<string>
  try {
    inodes = new Set<string>()
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
        if (m?.[1] !== undefined) inodes.add(m[1])
      } catch {
        // fd closed meanwhile
      }
    }
  } catch {
    return []
  }
  const ports: number[] = []
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      // sl local rem st tx:rx tr:when retr uid timeout inode
      if (f.length < 10 || f[3] !== '0A') continue // 0A = LISTEN
      if (!inodes.has(f[9] ?? '')) continue
      const port = Number.parseInt(f[1]?.split(':')[1] ?? '', 16)
      if (Number.isFinite(port) && !ports.includes(port)) ports.push(port)
    }
  }
  return ports
}

/** Whether 127.0.0.1:port accepts a TCP connection now. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port })
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

/** A port free right now, for servers that take theirs from a configuration and cannot report one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => resolve(port))
    })
  })
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await accepts(port)) return
    if (Date.now() > deadline) throw new PeerProcessError(`nothing listens on 127.0.0.1:${port}`)
    await sleep(25)
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

// ---------------------------------------------------------------------------------------------------------
// Temporary files

/** A fresh temporary folder, removed with `cleanup()` or, at the latest, when the process exits. */
export function makeTempDir(prefix = 'h2ts-'): { path: string; cleanup(): Promise<void> } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  tempDirs.add(path)
  return {
    path,
    async cleanup() {
      tempDirs.delete(path)
      await rm(path, { recursive: true, force: true })
    },
  }
}

/** Writes bytes to `dir/name` (creating sub-folders) and returns the full path. */
export async function writeTempFile(dir: string, name: string, data: Uint8Array | string): Promise<string> {
  const p = join(dir, name)
  mkdirSync(dirname(p), { recursive: true })
  await writeFile(p, data)
  return p
}

// ---------------------------------------------------------------------------------------------------------
// Certificates

export interface CertPair {
  cert: string
  key: string
}
let certPromise: Promise<CertPair> | undefined

/**
 * A self-signed certificate (EC P-256, SHA-256) for `localhost` and 127.0.0.1, PEM strings; generated once
 * per process. Clients may trust it with `ca: cert` (node) or skip verification (`curl -k`, `nghttp -y`).
 */
export function selfSignedCert(): Promise<CertPair> {
  // The gateway's development certificate (selfsigned), made once per process.
  certPromise ??= import('@h2ts/gateway').then((gateway) => gateway.selfSignedCertificate())
  return certPromise
}

/** Writes the certificate pair to files (for peers that take paths) and returns the paths. */
export async function writeCertFiles(
  dir: string,
  pair: CertPair,
): Promise<{ certFile: string; keyFile: string }> {
  return {
    certFile: await writeTempFile(dir, 'cert.pem', pair.cert),
    keyFile: await writeTempFile(dir, 'key.pem', pair.key),
  }
}

// ---------------------------------------------------------------------------------------------------------
// Bodies and hashes

/** Lowercase hex SHA-256 of bytes. */
export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Streaming SHA-256 of a Node Readable (or any async iterable of bytes), with the byte count. */
export async function sha256Stream(
  source: AsyncIterable<Uint8Array | string>,
): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256')
  let bytes = 0
  for await (const chunk of source) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    h.update(b)
    bytes += b.byteLength
  }
  return { sha256: h.digest('hex'), bytes }
}

const BLOCK = 1 << 20
let base: Buffer | undefined

/** 1 MiB of xorshift32 output, generated once per process; every body is cut from it. */
function baseBlock(): Buffer {
  if (base === undefined) {
    base = Buffer.allocUnsafe(BLOCK)
    const words = new Uint32Array(base.buffer, base.byteOffset, BLOCK / 4)
    let x = 0x9e3779b9
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      words[i] = x >>> 0
    }
  }
  return base
}

/**
 * Deterministic pseudo-random body chunks: the same (size, seed) always gives the same bytes. MiB block i of a
 * body is one random 1 MiB block rotated by an offset that depends on the seed and i, with a stamp of (seed,
 * i) XORed into its first 8 bytes, so other seeds, moved, repeated or dropped blocks change the hash. Chunks are `chunkSize` bytes (the last may be shorter); each
 * chunk is a fresh buffer the consumer may keep.
 */
export function* bodyChunks(size: number, seed = 1, chunkSize = 64 * 1024): Generator<Buffer> {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad body size ${size}`)
  for (let at = 0; at < size; at += chunkSize) {
    const n = Math.min(chunkSize, size - at)
    const out = Buffer.allocUnsafe(n)
    fillBody(out, at, seed)
    yield out
  }
}

/** `bodyChunks` as an async iterable, for APIs that take a streamed body. */
export async function* bodyStream(size: number, seed = 1, chunkSize = 64 * 1024): AsyncGenerator<Buffer> {
  yield* bodyChunks(size, seed, chunkSize)
}

/** Fills `out` with the body bytes starting at absolute offset `at`. */
function fillBody(out: Buffer, at: number, seed: number): void {
  const src0 = baseBlock()
  const stamp = Buffer.alloc(8)
  let written = 0
  while (written < out.length) {
    const pos = at + written
    const block = Math.floor(pos / BLOCK)
    const inBlock = pos % BLOCK
    const n = Math.min(BLOCK - inBlock, out.length - written)
    const mix = Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(block + 1, 0x85ebca6b)
    const rot = (mix >>> 0) % BLOCK
    // byte j of this block is src0[(j + rot) % BLOCK], XOR stamp[j] for j < 8
    let j = inBlock
    let w = written
    const end = inBlock + n
    while (j < end) {
      const src = (j + rot) % BLOCK
      const len = Math.min(end - j, BLOCK - src)
      src0.copy(out, w, src, src + len)
      j += len
      w += len
    }
    if (inBlock < 8) {
      stamp.writeUInt32LE(block >>> 0, 0)
      stamp.writeInt32LE(mix, 4)
      for (let k = inBlock; k < Math.min(8, end); k++) out[written + (k - inBlock)]! ^= stamp[k]!
    }
    written += n
  }
}

/** The whole deterministic body of `size` bytes for `seed` (see `bodyChunks`). Fast: 100 MiB in ~50 ms. */
export function makeBody(size: number, seed = 1): Buffer {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad body size ${size}`)
  const out = Buffer.allocUnsafe(size)
  fillBody(out, 0, seed)
  return out
}

const digests = new Map<string, string>()

/** SHA-256 of `makeBody(size, seed)`, computed by streaming and cached. */
export function bodySha256(size: number, seed = 1): string {
  const key = `${size}/${seed}`
  let d = digests.get(key)
  if (d === undefined) {
    const h = createHash('sha256')
    for (const c of bodyChunks(size, seed, BLOCK)) h.update(c)
    d = h.digest('hex')
    digests.set(key, d)
  }
  return d
}

/** Writes `makeBody(size, seed)` to a file without holding it in memory all at once. */
export async function writeBodyFile(path: string, size: number, seed = 1): Promise<string> {
  const { open } = await import('node:fs/promises')
  mkdirSync(dirname(path), { recursive: true })
  const fh = await open(path, 'w')
  try {
    for (const c of bodyChunks(size, seed, 4 * BLOCK)) await fh.write(c)
  } finally {
    await fh.close()
  }
  return path
}

// ---------------------------------------------------------------------------------------------------------
// curl

export interface CurlOptions {
  url: string
  /** `--http2-prior-knowledge` (h2c without upgrade); otherwise `--http2` (ALPN over TLS). */
  priorKnowledge?: boolean
  /** `-k`: accept the self-signed certificate. */
  insecure?: boolean
  method?: string
  headers?: Record<string, string>
  /** Path of a file to upload as the request body (`--data-binary @file`). */
  dataFile?: string
  /** Bytes to upload as the request body (through stdin). */
  data?: Uint8Array
  /** Where the response body goes: kept in memory (default) or hashed on the fly. */
  output?: 'buffer' | 'sha256'
  timeoutMs?: number
  extraArgs?: string[]
}

export interface PeerResponse {
  status: number
  /** The HTTP version the peer reports, e.g. `2` (curl) or `HTTP/2.0` (nghttp). */
  httpVersion: string
  /** Response header fields, lowercase names, pseudo-headers excluded; repeated names joined with ", ". */
  headers: Record<string, string>
  /** The body (empty when hashed). */
  body: Buffer
  bodySha256: string
  bodyBytes: number
  /** nghttp only: the status of every response in the HAR (several with `-m N`). */
  statuses?: number[]
  run: RunResult
}

/** One HTTP/2 request with curl. Rejects when curl fails (non-zero exit) or does not speak HTTP/2. */
export async function curlH2(opts: CurlOptions): Promise<PeerResponse> {
  const tmp = makeTempDir('h2ts-curl-')
  try {
    const headerFile = join(tmp.path, 'headers')
    const args = ['-sS', '--max-time', String(Math.ceil((opts.timeoutMs ?? 30_000) / 1000))]
    args.push(opts.priorKnowledge ? '--http2-prior-knowledge' : '--http2')
    if (opts.insecure) args.push('-k')
    if (opts.method !== undefined) args.push('-X', opts.method)
    for (const [k, v] of Object.entries(opts.headers ?? {})) args.push('-H', `${k}: ${v}`)
    if (opts.dataFile !== undefined) args.push('--data-binary', `@${opts.dataFile}`)
    else if (opts.data !== undefined) args.push('--data-binary', '@-')
    if (opts.dataFile !== undefined || opts.data !== undefined)
      args.push('-H', 'content-type: application/octet-stream')
    args.push('-D', headerFile, '-o', '-', ...(opts.extraArgs ?? []), opts.url)
    const runOpts: RunOptions = { timeoutMs: (opts.timeoutMs ?? 30_000) + 5000 }
    if (opts.data !== undefined) runOpts.input = opts.data
    if (opts.output === 'sha256') runOpts.hashStdout = true
    const r = await run(findCommand('curl') ?? 'curl', args, runOpts)
    if (r.code !== 0) throw new PeerProcessError(`curl exited with ${r.code}: ${r.stderr.trim()}`)
    const raw = readFileSync(headerFile, 'latin1')
    // With `-D`, every response head is written (e.g. a 100 Continue first): keep the last one.
    const heads = raw.split(/\r?\n\r?\n/).filter((h) => h.trim() !== '')
    const last = heads[heads.length - 1] ?? ''
    const [statusLine = '', ...lines] = last.split(/\r?\n/)
    const m = /^HTTP\/(\S+)\s+(\d{3})/.exec(statusLine)
    if (!m) throw new PeerProcessError(`curl: no status line in ${JSON.stringify(raw.slice(0, 200))}`)
    const headers: Record<string, string> = {}
    for (const l of lines) {
      const i = l.indexOf(':')
      if (i <= 0) continue
      const name = l.slice(0, i).trim().toLowerCase()
      const value = l.slice(i + 1).trim()
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
    }
    return {
      status: Number(m[2]),
      httpVersion: m[1] ?? '',
      headers,
      body: r.stdout,
      bodySha256: r.stdoutSha256 ?? sha256(r.stdout),
      bodyBytes: r.stdoutBytes,
      run: r,
    }
  } finally {
    await tmp.cleanup()
  }
}

// ---------------------------------------------------------------------------------------------------------
// nghttp

export interface NghttpOptions {
  url: string
  /** Extra request header fields (`-H 'name: value'`). */
  headers?: Record<string, string>
  /** Path of a file to upload (`-d`; nghttp then sends POST). */
  dataFile?: string
  output?: 'buffer' | 'sha256'
  /** `-m N`: request the URL N times, concurrently on the one connection (bodies are concatenated). */
  multiply?: number
  timeoutMs?: number
  extraArgs?: string[]
}

interface HarHeader {
  name: string
  value: string
}
interface Har {
  log: { entries: Array<{ response: { status: number; httpVersion: string; headers: HarHeader[] } }> }
}

/**
 * One request with nghttp (h2c with prior knowledge for http:, ALPN h2 for https: without verifying the
 * certificate). nghttp exits 0 even when it could not connect, so the outcome is read from its HAR file;
 * rejects when there is no response.
 */
export async function nghttp(opts: NghttpOptions): Promise<PeerResponse> {
  const tmp = makeTempDir('h2ts-nghttp-')
  try {
    const har = join(tmp.path, 'out.har')
    const timeoutMs = opts.timeoutMs ?? 30_000
    const args = ['-y', '-t', String(Math.ceil(timeoutMs / 1000)), '-r', har]
    for (const [k, v] of Object.entries(opts.headers ?? {})) args.push('-H', `${k}: ${v}`)
    if (opts.dataFile !== undefined) args.push('-d', opts.dataFile)
    if (opts.multiply !== undefined) args.push('-m', String(opts.multiply))
    args.push(...(opts.extraArgs ?? []), opts.url)
    const runOpts: RunOptions = { timeoutMs: timeoutMs + 5000 }
    if (opts.output === 'sha256') runOpts.hashStdout = true
    const r = await run(findCommand('nghttp') ?? 'nghttp', args, runOpts)
    let parsed: Har | undefined
    try {
      parsed = JSON.parse(readFileSync(har, 'utf8')) as Har
    } catch {
      parsed = undefined
    }
    const entry = parsed?.log.entries[0]
    if (r.code !== 0 || entry === undefined || /not processed|\[ERROR\]/.test(r.stderr))
      throw new PeerProcessError(`nghttp failed (exit ${r.code}): ${r.stderr.trim() || 'no response'}`)
    const headers: Record<string, string> = {}
    for (const h of entry.response.headers) {
      if (h.name.startsWith(':')) continue
      headers[h.name] = headers[h.name] === undefined ? h.value : `${headers[h.name]}, ${h.value}`
    }
    return {
      status: entry.response.status,
      httpVersion: entry.response.httpVersion,
      headers,
      body: r.stdout,
      bodySha256: r.stdoutSha256 ?? sha256(r.stdout),
      bodyBytes: r.stdoutBytes,
      statuses: parsed?.log.entries.map((e) => e.response.status) ?? [],
      run: r,
    }
  } finally {
    await tmp.cleanup()
  }
}

// ---------------------------------------------------------------------------------------------------------
// nghttpd

export interface NghttpdOptions {
  /** Default 0: the OS picks, and the port is read back from /proc. */
  port?: number
  tls?: CertPair
  /** Serve this folder... */
  docroot?: string
  /** ...or these files (path relative to the root → content), written to a fresh temporary root. */
  files?: Record<string, Uint8Array | string>
  /** `--echo-upload`: answer POST and PUT with the request body. */
  echoUpload?: boolean
  /** `-m`: SETTINGS_MAX_CONCURRENT_STREAMS (nghttpd's default is 100). */
  maxConcurrentStreams?: number
  extraArgs?: string[]
  startTimeoutMs?: number
}

export interface PeerServer {
  port: number
  /** `http://127.0.0.1:port` or `https://127.0.0.1:port`. */
  origin: string
  docroot: string
  output(): string
  close(): Promise<void>
}

/**
 * Starts nghttpd on 127.0.0.1 serving a docroot, and resolves once it accepts connections. nghttpd cannot
 * run application code: it serves files (and, with `echoUpload`, echoes uploads).
 */
export async function startNghttpd(opts: NghttpdOptions = {}): Promise<PeerServer> {
  const tmp = makeTempDir('h2ts-nghttpd-')
  try {
    const docroot = opts.docroot ?? join(tmp.path, 'htdocs')
    mkdirSync(docroot, { recursive: true })
    for (const [name, data] of Object.entries(opts.files ?? {})) await writeTempFile(docroot, name, data)
    const args = ['-a', '127.0.0.1', '-d', docroot]
    if (opts.echoUpload) args.push('--echo-upload')
    if (opts.maxConcurrentStreams !== undefined) args.push('-m', String(opts.maxConcurrentStreams))
    args.push(...(opts.extraArgs ?? []))
    const requested = opts.port ?? 0
    if (opts.tls) {
      const { certFile, keyFile } = await writeCertFiles(tmp.path, opts.tls)
      args.push(String(requested), keyFile, certFile)
    } else {
      args.push('--no-tls', String(requested))
    }
    const d = spawnDaemon(findCommand('nghttpd') ?? 'nghttpd', args)
    const deadline = Date.now() + (opts.startTimeoutMs ?? 5000)
    let port = requested
    while (port === 0) {
      if (d.child.exitCode !== null || d.child.signalCode !== null)
        throw new PeerProcessError(`nghttpd exited at start: ${d.output().trim()}`)
      port = listeningPorts(d.pid)[0] ?? 0
      if (port !== 0) break
      if (Date.now() > deadline) {
        await d.close()
        throw new PeerProcessError(`nghttpd did not listen within the timeout: ${d.output().trim()}`)
      }
      await sleep(20)
    }
    await waitForPort(port, Math.max(500, deadline - Date.now()))
    return {
      port,
      origin: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
      docroot,
      output: d.output,
      async close() {
        await d.close()
        await tmp.cleanup()
      },
    }
  } catch (e) {
    await tmp.cleanup()
    throw e
  }
}
