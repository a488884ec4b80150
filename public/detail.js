// One device in detail: response time and loss over 1, 6 or 24 hours, from the timeline route.
import uPlot from './vendor/uplot/uPlot.esm.js'
import { getJSON } from './api.js'
import { DASH, count, duration, fullTime, ms, percent } from './format.js'
import { lonePoints } from './isolated.js'

// bucket width (seconds) per window: 60 to 100 points, enough to see an outage, cheap to draw
const BUCKET_S = { 1: 60, 6: 300, 24: 900 }
const REFRESH_MS = 10_000
// the outages listed: the last 30 days, newest first, at most this many
const OUTAGES = 'hours=720&limit=50'
const CAUSE = { down: 'down', site: 'its site is down', unreachable: 'unreachable (uplink down)' }

const hhmm = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hour12: false })
const dayMonth = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' })

/** 24-hour ticks; the date under the first tick and under midnight */
function timeTicks (_u, splits) {
  return splits.map((t, i) => {
    const d = new Date(t * 1000)
    const midnight = d.getHours() === 0 && d.getMinutes() === 0
    return i === 0 || midnight ? `${hhmm.format(d)}\n${dayMonth.format(d)}` : hhmm.format(d)
  })
}

const AXIS = { stroke: '#8b949e', grid: { stroke: 'rgba(240, 246, 252, 0.07)', width: 1 }, ticks: { stroke: 'rgba(240, 246, 252, 0.15)', width: 1 } }

function chartOptions (width) {
  return {
    width,
    height: 320,
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, ms: { range: (_u, _min, max) => [0, Math.max((max ?? 0) * 1.15, 1)] }, loss: { range: [0, 100] } },
    axes: [
      { ...AXIS, values: timeTicks },
      { ...AXIS, scale: 'ms', size: 60, values: (_u, ticks) => ticks.map((v) => `${v} ms`) },
      { ...AXIS, scale: 'loss', side: 1, size: 50, grid: { show: false }, values: (_u, ticks) => ticks.map((v) => `${v} %`) }
    ],
    series: [
      { value: (_u, v) => (v === null ? DASH : `${fullTime(new Date(v * 1000).toISOString())}`) },
      { label: 'Average', scale: 'ms', stroke: '#58a6ff', width: 2, spanGaps: false, points: lonePoints('#58a6ff', 6), value: (_u, v) => ms(v) },
      { label: 'Max', scale: 'ms', stroke: 'rgba(88, 166, 255, 0.4)', width: 1, dash: [4, 4], spanGaps: false, points: { show: false }, value: (_u, v) => ms(v) },
      { label: 'Loss', scale: 'loss', stroke: 'rgba(248, 81, 73, 0.9)', fill: 'rgba(248, 81, 73, 0.28)', width: 0, paths: uPlot.paths.bars({ size: [1, Infinity], gap: 0 }), points: { show: false }, value: (_u, v) => percent(v) }
    ]
  }
}

/** Timeline buckets → uPlot columns. A bucket where every ping failed has no time (a gap) and 100 % loss. */
export function toColumns (buckets) {
  const xs = []
  const avg = []
  const max = []
  const loss = []
  for (const b of buckets) {
    xs.push(Date.parse(b.start) / 1000)
    avg.push(b.avg_ms)
    max.push(b.max_ms)
    loss.push(b.pings > 0 ? Math.round((b.pings - b.successes) / b.pings * 1000) / 10 : null)
  }
  return [xs, avg, max, loss]
}

export class DeviceDetail {
  constructor ({ dialog, title, sub, stats, chartBox, note, closeButton, outages, outagesNote }) {
    Object.assign(this, { dialog, title, sub, stats, chartBox, note, outages, outagesNote })
    this.device = null
    this.hours = 1
    this.chart = null
    this.seq = 0
    this.loadedAt = 0
    this.windowButtons = [...dialog.querySelectorAll('[data-hours]')]
    for (const b of this.windowButtons) b.addEventListener('click', () => this.setWindow(Number(b.dataset.hours)))
    closeButton.addEventListener('click', () => dialog.close())
    // a click on the backdrop (outside the box) closes, as people expect from an overlay
    dialog.addEventListener('click', (e) => { if (e.target === dialog) dialog.close() })
    dialog.addEventListener('close', () => { this.device = null })
    window.addEventListener('resize', () => this.resize())
  }

  open (device) {
    // another device's outages are not shown while this one's load
    if (this.device?.id !== device.id) {
      this.outages.replaceChildren()
      this.outagesNote.textContent = ''
    }
    this.device = device
    this.title.textContent = device.hostname
    this.sub.textContent = device.hostname === device.ip ? `device ${device.id}` : `${device.ip} · device ${device.id}`
    if (!this.dialog.open) this.dialog.showModal()
    this.load()
  }

  setWindow (hours) {
    this.hours = hours
    for (const b of this.windowButtons) b.setAttribute('aria-pressed', String(Number(b.dataset.hours) === hours))
    this.load()
  }

  /** Called once per monitor cycle: keeps an open chart current without redrawing it every second. */
  onCycle () {
    if (this.device !== null && Date.now() - this.loadedAt >= REFRESH_MS) this.load()
  }

  resize () {
    if (this.chart !== null && this.dialog.open) this.chart.setSize({ width: this.chartBox.clientWidth, height: 320 })
  }

  async load () {
    const device = this.device
    if (device === null) return
    const seq = ++this.seq
    const hours = this.hours
    const bucket = BUCKET_S[hours]
    this.loadedAt = Date.now()
    this.dialog.setAttribute('aria-busy', 'true')
    const [timeline, stats, outages] = await Promise.allSettled([
      this.timeline(device.id, hours, bucket),
      getJSON(`api/ping/statistics?device_id=${device.id}&hours=${hours}`),
      getJSON(`api/ping/outages?device_id=${device.id}&${OUTAGES}`)
    ])
    if (seq !== this.seq || this.device === null) return
    this.dialog.removeAttribute('aria-busy')
    if (timeline.status === 'fulfilled') {
      this.draw(toColumns(timeline.value))
      const down = timeline.value.filter((b) => b.pings > 0 && b.successes === 0).length
      this.note.textContent = down > 0 ? `Red bars: share of pings lost; the line breaks where the device did not answer (${down} of ${timeline.value.length} intervals fully down).` : 'Red bars: share of pings lost; the line breaks where the device did not answer.'
    } else {
      this.note.textContent = `History unavailable: ${timeline.reason.message}`
    }
    this.showStats(stats.status === 'fulfilled' ? stats.value.statistics : null)
    if (outages.status === 'fulfilled') this.showOutages(outages.value.data)
    else {
      this.outages.replaceChildren()
      this.outagesNote.textContent = outages.reason.status === 404 ? 'This server keeps no outage record.' : `Outages unavailable: ${outages.reason.message}`
    }
  }

  /** One row per outage: start, end (or open), duration, cause, and whether maintenance overlapped it. */
  showOutages (list) {
    const time = (iso) => {
      const t = document.createElement('time')
      t.dateTime = iso
      t.textContent = fullTime(iso)
      return t
    }
    this.outages.replaceChildren(...list.map((o) => {
      const tr = document.createElement('tr')
      if (o.open) tr.dataset.open = ''
      const td = (cls, content) => {
        const c = document.createElement('td')
        c.className = cls
        c.append(content)
        tr.append(c)
        return c
      }
      td('start', time(o.start))
      td('end', o.open ? 'open' : time(o.end))
      // an open outage's duration is up to the answer's time (the answer is kept for up to a minute)
      td('duration', `${duration(o.duration_s * 1000)}${o.open ? ' so far' : ''}`).dataset.s = String(o.duration_s)
      td('cause', CAUSE[o.cause] ?? o.cause).dataset.cause = o.cause
      td('maintenance', o.maintenance ? 'yes' : 'no')
      return tr
    }))
    this.outagesNote.textContent = list.length === 0
      ? 'No outages in the last 30 days.'
      : list.length >= 50 ? 'The 50 newest.' : `${list.length} ${list.length === 1 ? 'outage' : 'outages'}.`
  }

  async timeline (id, hours, bucket) {
    const r = await getJSON(`api/ping/devices/${id}/timeline?hours=${hours}&bucket=${bucket}`)
    return r.data
  }

  draw (columns) {
    if (this.chart === null) {
      this.chart = new uPlot(chartOptions(this.chartBox.clientWidth || 800), columns, this.chartBox)
    } else {
      this.chart.setData(columns)
      this.resize()
    }
  }

  showStats (s) {
    const items = s === null
      ? []
      : [
          ['Pings', count(s.total_pings)],
          ['Success', percent(s.success_rate)],
          ['Average', ms(s.average_response_time_ms)],
          ['Min', ms(s.min_response_time_ms)],
          ['Max', ms(s.max_response_time_ms)],
          ...(s.p95_response_time_ms !== undefined ? [['p95', ms(s.p95_response_time_ms)]] : []),
          ...(s.jitter_ms !== undefined ? [['Jitter', ms(s.jitter_ms)]] : [])
        ]
    this.stats.replaceChildren(...items.map(([label, value]) => {
      const el = document.createElement('div')
      const l = document.createElement('span')
      l.className = 'label'
      l.textContent = label
      const v = document.createElement('span')
      v.className = 'value'
      v.textContent = value ?? DASH
      el.append(l, v)
      return el
    }))
  }
}
