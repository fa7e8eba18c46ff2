import { describe, expect, it } from 'vitest'
import { clientPathOf, parseLinks, preloadTargets } from '../src/push.js'

const params = (link: { params: Map<string, string> }) => Object.fromEntries(link.params)

describe('parseLinks (RFC 8288 §3)', () => {
  it('reads several link-values of one field and of several lines, with their parameters', () => {
    const links = parseLinks([
      '</a.css>; rel=preload; as=style, </b.js>;rel="preload";as=script',
      '<c>; rel=next',
    ])
    expect(links.map((l) => l.target)).toEqual(['/a.css', '/b.js', 'c'])
    expect(params(links[0]!)).toEqual({ rel: 'preload', as: 'style' })
    expect(params(links[1]!)).toEqual({ rel: 'preload', as: 'script' })
    expect(params(links[2]!)).toEqual({ rel: 'next' })
  })

  it('keeps commas and semicolons inside quoted strings and targets, and unescapes quoted-pairs', () => {
    const [link, next] = parseLinks(['</x,y;z>; title="a, b; \\"c\\""; rel="preload", </n>; rel=preload'])
    expect(link!.target).toBe('/x,y;z')
    expect(params(link!)).toEqual({ title: 'a, b; "c"', rel: 'preload' })
    expect(next!.target).toBe('/n')
  })

  it('takes optional whitespace around ";" and "=" (BWS), lowercases names, and keeps the first rel (§3.3)', () => {
    const [link] = parseLinks(['< /p >  ;  REL = preload ; rel=next ; NoPush'])
    expect(link!.target).toBe('/p')
    expect(params(link!)).toEqual({ rel: 'preload', nopush: '' })
  })

  it('skips a malformed link-value and keeps the ones around it', () => {
    const links = parseLinks([
      '</ok1>; rel=preload, garbage; rel=preload, </bad>; rel="unterminated, </ok2>; rel=preload',
      '</no-close; rel=preload',
      ', , </ok3>; rel=preload,',
      '</bad2>; =x, </ok4>; rel=preload',
      '</bad3> junk, </ok5>',
    ])
    expect(links.map((l) => l.target)).toEqual(['/ok1', '/ok3', '/ok4', '/ok5'])
  })
})

describe('preloadTargets', () => {
  it('picks rel lists containing preload (any case), not nopush ones, from every link field', () => {
    const targets = preloadTargets([
      ['content-type', 'text/html'],
      ['link', '</a.css>; rel=preload, </b.css>; rel="prefetch", </c.js>; rel="Preload Prefetch"'],
      ['link', '</d.js>; rel=preload; nopush, </e.js>; rel=preload'],
      ['linkx', '</f.js>; rel=preload'],
    ])
    expect(targets).toEqual(['/a.css', '/c.js', '/e.js'])
  })
})

describe('clientPathOf', () => {
  const ctx = {
    upstreamUrl: new URL('https://api.example.com:8443/v1/chat/page?x=1'),
    upstreamPrefix: '/v1/',
    clientPrefix: '/api/',
  }

  it('resolves relative references against the upstream URL and maps the route prefix back', () => {
    expect(clientPathOf('/v1/style.css', ctx)).toBe('/api/style.css')
    expect(clientPathOf('style.css?v=2#top', ctx)).toBe('/api/chat/style.css?v=2')
    expect(clientPathOf('../app.js', ctx)).toBe('/api/app.js')
    expect(clientPathOf('https://api.example.com:8443/v1/x', ctx)).toBe('/api/x')
  })

  it('refuses other origins and paths outside the route', () => {
    expect(clientPathOf('https://api.example.com/v1/x', ctx)).toBeUndefined() // another port
    expect(clientPathOf('http://api.example.com:8443/v1/x', ctx)).toBeUndefined() // another scheme
    expect(clientPathOf('//evil.example/v1/x', ctx)).toBeUndefined()
    expect(clientPathOf('/v2/x', ctx)).toBeUndefined()
    expect(clientPathOf('/v1/../admin', ctx)).toBeUndefined() // dot segments removed first (RFC 3986 §5.2)
    expect(clientPathOf('http://[bad', ctx)).toBeUndefined()
  })
})
