/**
 * Native HTTP/2 servers as h2load targets, each used when installed (Debian: nghttp2-server, h2o, nginx)
 * and otherwise skipped with a note: nghttpd (nghttp2's C server), h2o and nginx, one process and one
 * thread each, serving static files (`/hello`, 5 bytes, and `/1m`, 1 MiB) — the same bodies the hello
 * servers answer with. They run on CPU 0 like the others when the bench pins.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { accepts, findCommand, freePort, sleep, spawnDaemon } from '../test/support/peers.js'

import type { H2loadEnv, H2loadShape, H2loadTarget, StartedTarget } from './h2load.bench.js'

/** Spawns `cmd` (on CPU 0 when pinning) and waits until it accepts on `port`; 10 s at most. */
async function startListening(name: string, cmd: string[], port: number, env: H2loadEnv, path: string) {
  const d = env.pin ? spawnDaemon('taskset', ['-c', '0', ...cmd]) : spawnDaemon(cmd[0]!, cmd.slice(1))
  const deadline = Date.now() + 10_000
  for (;;) {
    if (d.child.exitCode !== null || d.child.signalCode !== null || Date.now() > deadline) {
      await d.close()
      throw new Error(`${name} did not start: ${d.output().slice(-2000)}`)
    }
    if (await accepts(port)) return { port, pid: d.pid, path, close: () => d.close() } satisfies StartedTarget
    await sleep(20)
  }
}

const pathFor = (shape: H2loadShape) => (shape.size === undefined ? '/hello' : '/1m')

function tlsFiles(env: H2loadEnv) {
  if (env.tls === undefined) throw new Error('a TLS shape needs env.tls')
  return env.tls
}

export interface NativeServers {
  targets: H2loadTarget[]
  /** Version line of each server found. */
  versions: Record<string, string>
  /** Servers not installed, with how to install them. */
  missing: string[]
}

function version(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 })
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0]?.trim() ?? cmd
}

/**
 * The native servers installed on this machine. `dir` holds their document root and configurations; the
 * document root must stay readable (h2o and nginx read it as the current user, set explicitly when root).
 */
export function nativeServers(dir: string): NativeServers {
  const docroot = join(dir, 'htdocs')
  mkdirSync(docroot, { recursive: true })
  writeFileSync(join(docroot, 'hello'), 'hello')
  writeFileSync(join(docroot, '1m'), Buffer.alloc(1 << 20, 'x'))
  const out: NativeServers = { targets: [], versions: {}, missing: [] }
  let configs = 0

  const nghttpd = findCommand('nghttpd')
  if (nghttpd === undefined) out.missing.push('nghttpd (apt-get install nghttp2-server)')
  else {
    out.versions['nghttpd'] = version(nghttpd, ['--version'])
    out.targets.push({
      name: 'nghttpd',
      async start(shape, env) {
        const port = await freePort()
        const args = ['-a', '127.0.0.1', '-d', docroot]
        if (shape.tls) {
          const { certFile, keyFile } = tlsFiles(env)
          args.push(String(port), keyFile, certFile)
        } else args.push('--no-tls', String(port))
        return startListening('nghttpd', [nghttpd, ...args], port, env, pathFor(shape))
      },
    })
  }

  const h2o = findCommand('h2o')
  if (h2o === undefined) out.missing.push('h2o (apt-get install h2o)')
  else {
    out.versions['h2o'] = version(h2o, ['--version'])
    out.targets.push({
      name: 'h2o',
      async start(shape, env) {
        const port = await freePort()
        const config = join(dir, `h2o-${++configs}.conf`)
        const ssl = shape.tls
          ? [
              '  ssl:',
              `    certificate-file: ${tlsFiles(env).certFile}`,
              `    key-file: ${tlsFiles(env).keyFile}`,
            ]
          : []
        writeFileSync(
          config,
          [
            'num-threads: 1',
            // As root h2o would switch to `nobody`, who cannot read the temporary document root.
            ...(process.getuid?.() === 0 ? [`user: ${userInfo().username}`] : []),
            `pid-file: ${join(dir, `h2o-${configs}.pid`)}`,
            'listen:',
            '  host: 127.0.0.1',
            `  port: ${port}`,
            ...ssl,
            'hosts:',
            '  default:',
            '    paths:',
            '      /:',
            `        file.dir: ${docroot}`,
            '',
          ].join('\n'),
        )
        return startListening('h2o', [h2o, '-c', config], port, env, pathFor(shape))
      },
    })
  }

  const nginx = findCommand('nginx')
  if (nginx === undefined) out.missing.push('nginx (apt-get install nginx)')
  else {
    out.versions['nginx'] = version(nginx, ['-v'])
    out.targets.push({
      name: 'nginx',
      async start(shape, env) {
        const port = await freePort()
        const n = ++configs
        const prefix = join(dir, `nginx-${n}`)
        mkdirSync(prefix, { recursive: true })
        const config = join(prefix, 'nginx.conf')
        const tls = shape.tls
          ? [
              `    ssl_certificate ${tlsFiles(env).certFile};`,
              `    ssl_certificate_key ${tlsFiles(env).keyFile};`,
            ]
          : []
        writeFileSync(
          config,
          [
            // One process serving (no master), in the foreground: its pid is the one measured.
            'daemon off;',
            'master_process off;',
            'worker_processes 1;',
            'error_log stderr warn;',
            `pid ${join(prefix, 'nginx.pid')};`,
            'events { worker_connections 4096; }',
            'http {',
            '  access_log off;',
            // Not the default 1,000 requests per connection: h2load's connections carry them all.
            '  keepalive_requests 100000000;',
            ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
              (t) => `  ${t}_temp_path ${join(prefix, t)};`,
            ),
            '  server {',
            `    listen 127.0.0.1:${port}${shape.tls ? ' ssl' : ''} http2;`,
            ...tls,
            `    root ${docroot};`,
            '  }',
            '}',
            '',
          ].join('\n'),
        )
        return startListening(
          'nginx',
          [nginx, '-e', 'stderr', '-p', prefix, '-c', config],
          port,
          env,
          pathFor(shape),
        )
      },
    })
  }
  return out
}

/** Version lines of the peers the suite can use (those installed), for the machine record. */
export function peerVersions(): Record<string, string> {
  const peers: Record<string, string[]> = {
    h2load: ['--version'],
    nghttpd: ['--version'],
    haproxy: ['-v'],
    nginx: ['-v'],
    h2o: ['--version'],
  }
  const out: Record<string, string> = {}
  for (const [name, args] of Object.entries(peers)) {
    const path = findCommand(name)
    out[name] = path === undefined ? 'not installed' : version(path, args)
  }
  return out
}
