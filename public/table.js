// The device table: sorted, filtered and virtualised. Only the rows in view exist in the DOM (a small
// pool of row elements is reused while scrolling), so 10,000 devices cost no more than 30.
import uPlot from './vendor/uplot/uPlot.esm.js'
import { DASH, ago, availability, duration, fullTime, ms, percent } from './format.js'
import { lonePoints } from './isolated.js'

const ROW_H = 46
const OVERSCAN = 6
const SPARK_W = 150
const SPARK_H = 30

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })
const byName = (a, b) => collator.compare(a.hostname, b.hostname) || collator.compare(a.ip, b.ip) || a.id - b.id

// value: what a column sorts by (null = unknown, always at the bottom); first: direction of the first click
const SORTS = {
  status: { first: 1, value: (r) => r.rank },
  hostname: { first: 1, value: (r) => r.hostname },
  ip: { first: 1, value: (r) => r.ip },
  owner: { first: 1, value: (r) => r.owner },
  rt: { first: -1, value: (r) => r.rt },
  seen: { first: 1, value: (r) => r.seenAt ?? -Infinity },
  loss: { first: -1, value: (r) => r.loss },
  // availability: the worst first
  av24: { first: 1, value: (r) => r.av24 },
  av7: { first: 1, value: (r) => r.av7 },
  av30: { first: 1, value: (r) => r.av30 }
}

/** availability below an SLA-like line is shown in colour; the windows are long, so 99 % is already a lot down */
const availLevel = (v) => v === null ? null : v < 95 ? 'low' : v < 99.9 ? 'some' : 'full'

function compareBy (value, dir) {
  return (a, b) => {
    const va = value(a)
    const vb = value(b)
    if (va === null || vb === null) return (va === null ? 1 : 0) - (vb === null ? 1 : 0)
    return dir * (typeof va === 'string' ? collator.compare(va, vb) : va - vb)
  }
}

function setText (el, text) {
  if (el.textContent !== text) el.textContent = text
}

function setAttr (el, name, value) {
  if (value === null) { if (el.hasAttribute(name)) el.removeAttribute(name) } else if (el.getAttribute(name) !== value) el.setAttribute(name, value)
}

function sparkOptions (width) {
  return {
    width,
    height: SPARK_H,
    pxAlign: false,
    cursor: { show: false },
    legend: { show: false },
    select: { show: false },
    axes: [{ show: false }, { show: false }],
    scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max((max ?? 0) * 1.2, 1)] } },
    series: [{}, { stroke: '#58a6ff', width: 1.5, fill: 'rgba(88, 166, 255, 0.12)', points: lonePoints('#58a6ff', 4), spanGaps: false }]
  }
}

export class DeviceTable {
  constructor ({ root, viewport, spacer, empty, shownCount, onOpen }) {
    this.root = root
    this.viewport = viewport
    this.spacer = spacer
    this.empty = empty
    this.shownCount = shownCount
    this.onOpen = onOpen
    this.all = []
    this.view = []
    this.pool = []
    this.filterText = ''
    this.filterStatus = 'all'
    /** a location id to show only its devices; undefined = all (null is a real value: no location) */
    this.filterLocation = undefined
    this.sortKey = 'status'
    this.sortDir = 1
    this.frame = 0
    this.headers = [...root.querySelectorAll('[data-sort]')]
    for (const h of this.headers) h.addEventListener('click', () => this.sortBy(h.dataset.sort))
    viewport.addEventListener('scroll', () => this.schedule(), { passive: true })
    viewport.addEventListener('click', (e) => {
      const row = e.target.closest('.row')
      if (row?.row !== undefined) this.onOpen(row.row)
    })
    viewport.addEventListener('keydown', (e) => {
      const row = e.target.closest('.row')
      if (row?.row !== undefined && (e.key === 'Enter' || e.key === ' ')) {
        e.preventDefault()
        this.onOpen(row.row)
      }
    })
    new ResizeObserver(() => this.schedule()).observe(viewport)
    this.updateHeaders()
  }

  /** All devices (see toRow in app.js); keeps the scroll position, sort and filter. */
  setRows (rows) {
    this.all = rows
    // cluster mode: the owner column exists only when the server says who pings each device
    setAttr(this.root, 'data-owner', rows.some((r) => r.owner !== null) ? '' : null)
    this.refresh()
  }

  setFilter (text, status) {
    this.filterText = text.trim().toLowerCase()
    this.filterStatus = status
    // back to the top before rendering: rendering at the old position (say, the bottom of 10,000 rows)
    // would draw no row of a 10-row result until the scroll event's next frame
    this.viewport.scrollTop = 0
    this.refresh()
  }

  /** Only the devices of this location id (null: devices without one); undefined: every location. */
  setLocation (id) {
    this.filterLocation = id
    this.viewport.scrollTop = 0
    this.refresh()
  }

  sortBy (key) {
    if (this.sortKey === key) this.sortDir = -this.sortDir
    else {
      this.sortKey = key
      this.sortDir = SORTS[key].first
    }
    this.updateHeaders()
    this.refresh()
  }

  updateHeaders () {
    for (const h of this.headers) {
      const on = h.dataset.sort === this.sortKey
      setAttr(h, 'aria-sort', on ? (this.sortDir === 1 ? 'ascending' : 'descending') : 'none')
    }
  }

  refresh () {
    const { filterText, filterStatus } = this
    let rows = this.all
    if (filterStatus !== 'all') rows = rows.filter((r) => r.status === filterStatus)
    if (filterText !== '') rows = rows.filter((r) => r.search.includes(filterText))
    if (this.filterLocation !== undefined) rows = rows.filter((r) => r.locationId === this.filterLocation)
    const primary = compareBy(SORTS[this.sortKey].value, this.sortDir)
    this.view = [...rows].sort((a, b) => primary(a, b) || byName(a, b))
    this.spacer.style.height = `${this.view.length * ROW_H}px`
    this.root.setAttribute('aria-rowcount', String(this.view.length + 1))
    this.empty.hidden = this.view.length > 0 || this.all.length === 0
    setText(this.shownCount, this.view.length === this.all.length ? `${this.all.length.toLocaleString()} devices` : `${this.view.length.toLocaleString()} of ${this.all.length.toLocaleString()} devices`)
    this.render()
  }

  schedule () {
    if (this.frame !== 0) return
    this.frame = requestAnimationFrame(() => {
      this.frame = 0
      this.render()
    })
  }

  render () {
    const now = Date.now()
    const top = this.viewport.scrollTop
    const height = this.viewport.clientHeight || 600
    const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN)
    const last = Math.min(this.view.length, Math.ceil((top + height) / ROW_H) + OVERSCAN)
    const needed = last - first
    while (this.pool.length < needed) this.pool.push(this.makeRow())
    for (let k = 0; k < this.pool.length; k++) {
      const el = this.pool[k]
      const i = first + k
      if (k >= needed) {
        if (!el.hidden) el.hidden = true
        el.row = undefined
        continue
      }
      if (el.hidden) el.hidden = false
      this.fill(el, this.view[i], i, now)
    }
  }

  makeRow () {
    const el = document.createElement('div')
    el.className = 'row'
    el.setAttribute('role', 'row')
    el.tabIndex = 0
    const cell = (cls) => {
      const c = document.createElement('div')
      c.className = `cell ${cls}`
      c.setAttribute('role', 'cell')
      el.append(c)
      return c
    }
    const status = cell('status')
    const dot = document.createElement('span')
    dot.className = 'dot'
    const statusText = document.createElement('span')
    const since = document.createElement('span')
    since.className = 'since'
    // maintenance / overdue (kondisi = maintenance past its tenggat_maintenance)
    const badge = document.createElement('span')
    badge.className = 'badge'
    status.append(dot, statusText, since, badge)
    el.cells = { status, statusText, since, badge, hostname: cell('hostname'), ip: cell('ip'), owner: cell('owner'), rt: cell('num rt'), seen: cell('seen'), loss: cell('num loss'), av24: cell('num avail av24'), av7: cell('num avail av7'), av30: cell('num avail av30'), spark: cell('spark') }
    el.spark = null
    el.sparkData = null
    this.spacer.append(el)
    return el
  }

  fill (el, r, i, now) {
    el.row = r
    const y = `translateY(${i * ROW_H}px)`
    if (el.style.transform !== y) el.style.transform = y
    setAttr(el, 'aria-rowindex', String(i + 2))
    setAttr(el, 'data-status', r.status)
    setAttr(el, 'data-device-id', String(r.id))
    setAttr(el, 'data-odd', i % 2 === 1 ? '' : null)
    const c = el.cells
    setText(c.statusText, r.status === 'online' ? 'Online' : r.unreachable ? 'Unreachable' : 'Offline')
    // how long the outage lasts, or that the device keeps going up and down
    if (r.status === 'offline' && r.downSince !== null) {
      setText(c.since, duration(now - Date.parse(r.downSince)))
      setAttr(c.status, 'title', `down since ${fullTime(r.downSince)}`)
    } else {
      setText(c.since, r.flapping ? 'flapping' : '')
      setAttr(c.status, 'title', r.flapping ? 'keeps going up and down' : null)
    }
    setAttr(el, 'data-flapping', r.flapping ? '' : null)
    const badge = r.overdue ? 'overdue' : r.maintenance ? 'maintenance' : ''
    setText(c.badge, badge)
    setAttr(c.badge, 'data-kind', badge === '' ? null : badge)
    setAttr(c.badge, 'title', badge === '' ? null : r.maintenanceUntil === null ? 'in maintenance: no alerts' : `in maintenance until ${fullTime(r.maintenanceUntil)}: no alerts`)
    setAttr(el, 'data-unreachable', r.unreachable ? '' : null)
    setText(c.hostname, r.hostname)
    setAttr(c.hostname, 'title', r.hostname)
    setText(c.ip, r.ip)
    setText(c.owner, r.owner ?? '')
    if (r.status === 'online') {
      setText(c.rt, ms(r.rt))
      setAttr(c.rt, 'title', null)
    } else {
      setText(c.rt, r.error === '' ? DASH : r.error)
      setAttr(c.rt, 'title', r.error === '' ? null : r.error)
    }
    setText(c.seen, ago(r.lastSeen, now))
    setAttr(c.seen, 'title', r.lastSeen === null ? null : fullTime(r.lastSeen))
    setText(c.loss, percent(r.loss))
    setAttr(c.loss, 'data-level', r.loss === null ? null : r.loss >= 50 ? 'high' : r.loss > 0 ? 'some' : 'none')
    for (const k of ['av24', 'av7', 'av30']) {
      setText(c[k], availability(r[k]))
      setAttr(c[k], 'data-level', availLevel(r[k]))
    }
    this.fillSpark(el, r.spark)
  }

  fillSpark (el, spark) {
    if (el.sparkData === spark) return
    el.sparkData = spark
    const cell = el.cells.spark
    // nothing to draw: no data yet ('–'), or not one reply in the hour (said in words, not an empty box)
    const empty = spark === null || spark.length === 0 ? DASH : spark.every((v) => v === null) ? 'no replies' : null
    let note = cell.querySelector('.none')
    if (empty !== null) {
      if (el.spark !== null) el.spark.root.style.display = 'none'
      if (note === null) {
        note = document.createElement('span')
        note.className = 'none'
        cell.append(note)
      }
      setText(note, empty)
      return
    }
    note?.remove()
    const xs = spark.map((_v, j) => j)
    if (el.spark === null) el.spark = new uPlot(sparkOptions(SPARK_W), [xs, spark], cell)
    else el.spark.setData([xs, spark])
    el.spark.root.style.display = ''
  }
}
