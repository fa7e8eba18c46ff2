/**
 * Command lines of the benchmark servers. Both "hello" servers take `--port N` (0 = OS-chosen), `--size N`
 * (body bytes instead of `hello`), `--tls --cert FILE --key FILE`; the naive proxy takes `--port N
 * --upstream URL`.
 */
import { readFileSync } from 'node:fs'

export interface HelloArgs {
  port: number
  body: Buffer
  tls: { cert: Buffer; key: Buffer } | undefined
}

function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name)
  if (i < 0) return undefined
  const v = argv[i + 1]
  if (v === undefined) throw new Error(`${name} needs a value`)
  return v
}

export function helloArgs(argv: readonly string[] = process.argv): HelloArgs {
  const size = flag(argv, '--size')
  let tls: HelloArgs['tls']
  if (argv.includes('--tls')) {
    const cert = flag(argv, '--cert')
    const key = flag(argv, '--key')
    if (cert === undefined || key === undefined) throw new Error('--tls needs --cert FILE and --key FILE')
    tls = { cert: readFileSync(cert), key: readFileSync(key) }
  }
  return {
    port: Number(flag(argv, '--port') ?? 0),
    body: size === undefined ? Buffer.from('hello') : Buffer.alloc(Number(size), 'x'),
    tls,
  }
}

export interface ProxyArgs {
  port: number
  /** `http://HOST:PORT` of the HTTP/2 (prior knowledge) upstream. */
  upstream: string
}

export function proxyArgs(argv: readonly string[] = process.argv): ProxyArgs {
  const upstream = flag(argv, '--upstream')
  if (upstream === undefined) throw new Error('--upstream URL is required')
  return { port: Number(flag(argv, '--port') ?? 0), upstream }
}
