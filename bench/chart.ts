/**
 * A horizontal bar chart of req/s ratios as a standalone SVG (no dependency; GitHub renders it from a
 * Markdown image link). Each group is a shape; each bar a server's median req/s ÷ the reference's, drawn
 * from the 1× line (where the reference stands) on a log scale.
 */

export interface ChartBar {
  label: string
  ratio: number
}

export interface ChartGroup {
  title: string
  bars: ChartBar[]
}

const xml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

const PALETTE = ['#8c8c8c', '#2f6fdf', '#e07b28', '#3a9d5d', '#b04fc2', '#c9384a', '#2aa5b3']

export function ratioChart(title: string, subtitle: string, groups: readonly ChartGroup[]): string {
  const labelWidth = 230
  const plotWidth = 470
  const width = labelWidth + plotWidth + 70
  const barHeight = 14
  const gap = 4
  const groupGap = 14
  const top = 56
  const bars = groups.reduce((n, g) => n + g.bars.length, 0)
  const height = top + groups.length * (18 + groupGap) + bars * (barHeight + gap) + 30
  // A log scale, so that 2× and ½× are the same distance from 1×, and 10× peers do not flatten the rest.
  const ratios = groups.flatMap((g) => g.bars.map((b) => b.ratio)).filter((r) => Number.isFinite(r) && r > 0)
  const lo = Math.floor(Math.log2(Math.min(0.5, ...ratios)))
  const hi = Math.ceil(Math.log2(Math.max(2, ...ratios)))
  const x = (ratio: number) => labelWidth + ((Math.log2(ratio) - lo) / (hi - lo)) * plotWidth
  const one = x(1)
  const colors = new Map<string, string>()
  const color = (label: string) => {
    if (!colors.has(label)) colors.set(label, PALETTE[colors.size % PALETTE.length]!)
    return colors.get(label)!
  }
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="600" fill="#1f2328">${xml(title)}</text>`,
    `<text x="12" y="40" fill="#57606a">${xml(subtitle)}</text>`,
  ]
  const bottom = height - 30
  for (let p = lo; p <= hi; p++) {
    const gx = x(2 ** p).toFixed(1)
    const label = p >= 0 ? `${2 ** p}×` : `1/${2 ** -p}×`
    out.push(
      `<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${bottom}" stroke="${p === 0 ? '#1f2328' : '#d0d7de'}"${p === 0 ? ' stroke-dasharray="3,3"' : ''}/>`,
      `<text x="${gx}" y="${bottom + 14}" text-anchor="middle" fill="#57606a">${label}</text>`,
    )
  }
  let y = top
  for (const group of groups) {
    out.push(`<text x="12" y="${y + 12}" font-weight="600" fill="#1f2328">${xml(group.title)}</text>`)
    y += 18
    for (const bar of group.bars) {
      const ok = Number.isFinite(bar.ratio) && bar.ratio > 0
      const end = ok ? x(bar.ratio) : one
      const left = Math.min(one, end)
      const w = Math.max(1, Math.abs(end - one))
      out.push(
        `<text x="${labelWidth - 8}" y="${y + barHeight - 3}" text-anchor="end" fill="#1f2328">${xml(bar.label)}</text>`,
        ok
          ? `<rect x="${left.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${color(bar.label)}"/>`
          : '',
        `<text x="${(Math.max(one, end) + 5).toFixed(1)}" y="${y + barHeight - 3}" fill="#1f2328">${ok ? `${bar.ratio.toFixed(2)}×` : 'failed'}</text>`,
      )
      y += barHeight + gap
    }
    y += groupGap
  }
  out.push('</svg>')
  return `${out.filter((line) => line !== '').join('\n')}\n`
}
