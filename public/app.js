// The status dashboard: polls the JSON API once per monitor cycle and updates the page in place.
import { getJSON, post, storedKey, storeKey } from './api.js'
import { DeviceTable } from './table.js'
import { DeviceDetail } from './detail.js'
import { DASH, ago, availability, clockTime, count, cycleDuration, duration, fullTime, ms } from './format.js'

const $ = (id) => document.getElementById(id)

// sparkline and loss column: one request for all devices (not one per device)
const OVERVIEW = 'api/ping/overview?minutes=60&points=30'
// its points are 2 minutes wide, and at 10,000 devices it is the largest answer the page downloads
// (~380 KB brotli-coded: 30 response times per device do not compress much): asked once a point, at
// the first new cycle after it, not every 30 s (that was 63 KB per cycle at 10,000 devices, more than
// the status itself; npm run bench:api prints the dashboard's bytes per cycle)
const OVERVIEW_EVERY_MS = 120_000
// without a new cycle, the device list is still re-read now and then (inventory reloads)
const STATUS_EVERY_MS = 30_000
// availability comes from a store the service writes once a minute: asked once a minute (not per
// cycle), and an answer that did not change comes back as a 304. Only the column shown is asked for
// (fields=): the other 12 fields are bytes nobody sees (npm run bench:api prints the dashboard's
// bytes per cycle both ways)
const AVAILABILITY_EVERY_MS = 60_000
const AV_FIELDS = 'fields=availability_percent'
const AVAILABILITY = {
  av24: `window=24h&group_by=device&${AV_FIELDS}`,
  av7: `window=7d&group_by=device&${AV_FIELDS}`,
  av30: `window=30d&group_by=device&${AV_FIELDS}`,
  loc30: `window=30d&group_by=location&${AV_FIELDS}`
}

const state = {
  service: null,
  health: null,
  lastCycle: null,
  statusAt: 0,
  overviewAt: 0,
  overview: new Map(),
  overviewMissing: false,
  availabilityAt: 0,
  availabilityMissing: false,
  /** per AVAILABILITY key: entry key (device or location id) → availability_percent */
  availability: { av24: new Map(), av7: new Map(), av30: new Map(), loc30: new Map() },
  status: undefined,
  unreachableSince: null,
  refreshError: null,
  rows: [],
  /** /api/ping/groups?by=location, worst first (null: an older server without it) */
  locations: null,
  location: undefined
}
let busy = false
let timer = 0
let toastTimer = 0

const table = new DeviceTable({
  root: $('device-table'),
  viewport: $('viewport'),
  spacer: $('spacer'),
  empty: $('empty'),
  shownCount: $('shown-count'),
  onOpen: (row) => detail.open(row)
})

const detail = new DeviceDetail({
  dialog: $('detail'),
  title: $('detail-title'),
  sub: $('detail-sub'),
  stats: $('detail-stats'),
  chartBox: $('detail-chart'),
  note: $('detail-note'),
  outages: document.querySelector('#detail-outages tbody'),
  outagesNote: $('detail-outages-note'),
  closeButton: $('detail-close')
})

function setText (el, text) {
  if (el.textContent !== text) el.textContent = text
}

// ---- data -----------------------------------------------------------------------------------

function toRow (d, status) {
  const o = state.overview.get(d.device_id)
  return {
    id: d.device_id,
    hostname: d.hostname,
    ip: d.ip_address,
    owner: d.owner ?? null,
    status,
    rank: status === 'offline' ? 0 : 1,
    rt: status === 'online' ? d.response_time_ms : null,
    error: status === 'offline' ? d.error_message : '',
    lastSeen: d.last_seen,
    seenAt: d.last_seen === null ? null : Date.parse(d.last_seen),
    downSince: d.down_since ?? null,
    flapping: d.state === 'flapping',
    unreachable: d.state === 'unreachable',
    locationId: d.location?.id ?? null,
    maintenance: d.maintenance?.active === true,
    overdue: d.maintenance?.overdue === true,
    maintenanceUntil: d.maintenance?.until ?? null,
    loss: o?.loss_percent ?? null,
    spark: o?.spark ?? null,
    av24: state.availability.av24.get(d.device_id) ?? null,
    av7: state.availability.av7.get(d.device_id) ?? null,
    av30: state.availability.av30.get(d.device_id) ?? null,
    search: `${d.hostname} ${d.ip_address} ${d.device_id}`.toLowerCase()
  }
}

async function loadStatus () {
  const s = await getJSON('api/ping/status')
  state.statusAt = Date.now()
  state.status = s.data
  state.rows = [
    ...s.data.devices.offline.map((d) => toRow(d, 'offline')),
    ...s.data.devices.online.map((d) => toRow(d, 'online'))
  ]
  table.setRows(state.rows)
  await loadLocations()
}

async function loadLocations () {
  try {
    state.locations = (await getJSON('api/ping/groups?by=location')).data
  } catch (err) {
    if (err.status === 404) state.locations = null
    else throw err
  }
  renderLocations()
}

/** One tile per location, worst first (the server's order); a click shows only its devices. */
function renderLocations () {
  const box = $('location-tiles')
  const groups = state.locations ?? []
  $('locations').hidden = groups.length === 0
  const existing = new Map([...box.children].map((el) => [el.dataset.key, el]))
  for (const g of groups) {
    const key = String(g.id)
    let el = existing.get(key)
    if (el === undefined) {
      el = document.createElement('button')
      el.type = 'button'
      el.className = 'tile'
      el.dataset.key = key
      el.innerHTML = '<span class="name"></span><span class="counts"></span><span class="avail"></span>'
      el.addEventListener('click', () => {
        state.location = state.location === g.id ? undefined : g.id
        table.setLocation(state.location)
        renderLocations()
      })
    }
    el.dataset.state = g.state
    el.setAttribute('aria-pressed', String(state.location === g.id))
    setText(el.querySelector('.name'), g.name)
    const parts = [`${g.up}/${g.total} up`]
    if (g.down > 0) parts.push(`${g.down} down`)
    if (g.unreachable > 0) parts.push(`${g.unreachable} unreachable`)
    if (g.flapping > 0) parts.push(`${g.flapping} flapping`)
    if (g.maintenance > 0) parts.push(`${g.maintenance} in maintenance`)
    setText(el.querySelector('.counts'), parts.join(' · '))
    const av = state.availability.loc30.get(String(g.id))
    const avEl = el.querySelector('.avail')
    setText(avEl, av === undefined ? '' : `30 d: ${availability(av)}`)
    if (av === undefined || av === null) avEl.removeAttribute('data-level')
    else avEl.dataset.level = av < 95 ? 'low' : av < 99.9 ? 'some' : 'full'
    avEl.title = 'availability over the last 30 days (up / (up + down), maintenance left out)'
    box.append(el)
    existing.delete(key)
  }
  for (const el of existing.values()) el.remove()
}

async function loadOverview () {
  if (state.overviewMissing && Date.now() - state.overviewAt < 300_000) return
  state.overviewAt = Date.now()
  try {
    const o = await getJSON(OVERVIEW)
    state.overviewMissing = false
    state.overview = new Map(o.data.map((d) => [d.device_id, d]))
  } catch (err) {
    // an older server without the overview route: loss and sparkline show '–'
    if (err.status === 404) state.overviewMissing = true
    return
  }
  for (const r of state.rows) {
    const o = state.overview.get(r.id)
    r.loss = o?.loss_percent ?? null
    r.spark = o?.spark ?? null
  }
  table.setRows(state.rows)
}

/** The availability columns and the tiles' 30-day figure: four answers, asked together. */
async function loadAvailability () {
  if (state.availabilityMissing && Date.now() - state.availabilityAt < 300_000) return
  state.availabilityAt = Date.now()
  const keys = Object.keys(AVAILABILITY)
  const answers = await Promise.allSettled(keys.map((k) => getJSON(`api/ping/availability?${AVAILABILITY[k]}`)))
  // an older server without the route: '–' in the columns, asked again every 5 minutes
  state.availabilityMissing = answers.some((a) => a.status === 'rejected' && a.reason.status === 404)
  for (const [i, k] of keys.entries()) {
    const a = answers[i]
    // tiles are keyed by location id as a string ('null': devices without a location)
    const key = k === 'loc30' ? (e) => String(e.key) : (e) => e.key
    // another failure (a window longer than AVAILABILITY_DAYS is a 400): that window shows '–'
    state.availability[k] = a.status === 'fulfilled' ? new Map(a.value.data.map((e) => [key(e), e.availability_percent])) : new Map()
  }
  for (const r of state.rows) {
    r.av24 = state.availability.av24.get(r.id) ?? null
    r.av7 = state.availability.av7.get(r.id) ?? null
    r.av30 = state.availability.av30.get(r.id) ?? null
  }
  table.setRows(state.rows)
  renderLocations()
}

// ---- summary and banners --------------------------------------------------------------------

function staleAfterMs (svc) {
  return Math.max(3 * svc.interval_s, svc.interval_s + svc.timeout_s + 5) * 1000
}

function renderSummary () {
  const svc = state.service
  const st = state.status
  const now = Date.now()
  if (st !== undefined) {
    setText($('sum-devices'), count(st.total_devices))
    setText($('sum-online'), count(st.online_devices))
    setText($('sum-offline'), count(st.offline_devices))
    $('sum-offline').parentElement.dataset.any = String(st.offline_devices > 0)
    setText($('sum-pending'), st.pending_devices > 0 ? `${count(st.pending_devices)} waiting for a first result` : '')
    document.title = st.offline_devices > 0 ? `(${st.offline_devices} down) Multi-ping monitor` : 'Multi-ping monitor'
  }
  if (svc !== null) {
    const c = svc.last_cycle
    setText($('sum-cycle-time'), c === null ? DASH : clockTime(c.started_at))
    $('sum-cycle-time').title = c === null ? '' : fullTime(c.started_at)
    setText($('sum-cycle-ago'), c === null ? 'no cycle yet' : `#${count(c.number)} · ${ago(c.started_at, now)}`)
    setText($('sum-cycle-duration'), c === null ? DASH : cycleDuration(c.duration_ms))
    setText($('sum-interval'), `every ${svc.interval_s} s${svc.overruns > 0 ? ` · ${count(svc.overruns)} overruns` : ''}`)
    setText($('sum-monitor'), svc.running ? 'Running' : 'Stopped')
    $('sum-monitor').dataset.state = svc.running ? 'running' : 'stopped'
    setText($('sum-cycles'), `${count(svc.cycles)} cycles · ${svc.mode}`)
    const pill = $('monitor-state')
    setText(pill, svc.running ? 'Running' : 'Stopped')
    pill.dataset.state = svc.running ? 'running' : 'stopped'
    const toggle = $('toggle-monitor')
    toggle.disabled = busy
    setText(toggle, svc.running ? 'Stop monitor' : 'Start monitor')
    toggle.dataset.action = svc.running ? 'stop' : 'start'
  }
}

function banners () {
  const out = []
  const now = Date.now()
  if (state.unreachableSince !== null) {
    out.push({ level: 'error', key: 'unreachable', text: `Cannot reach the service since ${clockTime(new Date(state.unreachableSince).toISOString())} (${duration(now - state.unreachableSince)}): the figures below are the last ones received.` })
  }
  if (state.refreshError !== null) out.push({ level: 'error', key: 'refresh', text: `Could not refresh: ${state.refreshError}` })
  const svc = state.service
  if (svc !== null) {
    if (!svc.running) {
      out.push({ level: 'warn', key: 'stopped', text: 'Monitoring is stopped: nothing is being pinged and the figures below are not updated.' })
    } else if (svc.last_cycle !== null && now - Date.parse(svc.last_cycle.started_at) > staleAfterMs(svc)) {
      out.push({ level: 'warn', key: 'stale', text: `Data is stale: the last cycle started ${ago(svc.last_cycle.started_at, now)}, but the monitor should run every ${svc.interval_s} s.` })
    }
  }
  // a location whose devices are down together (the service sent one site alert for it)
  for (const g of state.locations ?? []) {
    if (g.state === 'down' && g.id !== null) out.push({ level: 'error', key: `site-${g.id}`, text: `${g.name} down: ${g.down + g.unreachable} of ${g.total} devices` })
  }
  const h = state.health
  if (h !== null && state.unreachableSince === null) {
    for (const [i, reason] of h.reasons.entries()) {
      const key = /inventory database unreachable/.test(reason)
        ? 'database'
        : /CSV writing failing|dropped/.test(reason) ? 'csv' : `reason-${i}`
      out.push({ level: key === 'database' || key === 'csv' ? 'error' : 'warn', key, text: capitalise(reason) })
    }
    if (h.history.loading) out.push({ level: 'info', key: 'history', text: 'Reading earlier results back from the CSV files; history charts fill in shortly.' })
  }
  return out
}

const capitalise = (s) => s.charAt(0).toUpperCase() + s.slice(1)

/** Keeps banner elements that stay (no flicker), adds new ones, removes the ones that cleared. */
function renderBanners () {
  const box = $('banners')
  const wanted = banners()
  const existing = new Map([...box.children].map((el) => [el.dataset.key, el]))
  for (const b of wanted) {
    let el = existing.get(b.key)
    if (el === undefined) {
      el = document.createElement('div')
      el.dataset.key = b.key
      el.className = 'banner'
    }
    el.dataset.level = b.level
    setText(el, b.text)
    box.append(el)
    existing.delete(b.key)
  }
  for (const el of existing.values()) el.remove()
  document.body.dataset.alert = wanted.some((b) => b.level === 'error') ? 'error' : wanted.some((b) => b.level === 'warn') ? 'warn' : ''
}

function render () {
  renderSummary()
  renderBanners()
}

// ---- polling ----------------------------------------------------------------------------------

let polling = false

async function poll () {
  if (polling) return
  polling = true
  clearTimeout(timer)
  try {
    const [health, service] = await Promise.all([getJSON('api/health'), getJSON('api/ping/service/status')])
    state.health = health
    state.service = service.data
    state.unreachableSince = null
    state.refreshError = null
    const cycle = service.data.last_cycle?.number ?? null
    const newCycle = cycle !== state.lastCycle
    if (newCycle || Date.now() - state.statusAt >= STATUS_EVERY_MS) {
      await loadStatus()
      state.lastCycle = cycle
    }
    // the cycle's other answers: only once a new cycle brought new data (or for the first time), and
    // not every cycle; without a new cycle they would come back as 304s, but even those are requests
    const fresh = (at, every) => (newCycle || at === 0) && Date.now() - at >= every
    if (fresh(state.overviewAt, OVERVIEW_EVERY_MS)) await loadOverview()
    // not awaited: a slow 30-day answer must not hold up the next cycle's status
    if (fresh(state.availabilityAt, AVAILABILITY_EVERY_MS)) loadAvailability().catch(() => {})
    if (newCycle) detail.onCycle()
  } catch (err) {
    if (err.status === 0) {
      state.unreachableSince ??= Date.now()
      state.refreshError = null
    } else {
      state.refreshError = err.message
    }
  }
  polling = false
  render()
  table.render()
  // twice per cycle, so a new cycle shows up within half an interval; never faster than 1 s
  const interval = state.service?.interval_s ?? 5
  const next = state.unreachableSince !== null ? 5000 : Math.min(Math.max(interval * 500, 1000), 10_000)
  timer = setTimeout(poll, next)
}

// relative times ("4 s ago") move on between polls
setInterval(() => { render(); table.render() }, 1000)

// ---- controls ---------------------------------------------------------------------------------

function showToast (text, level = 'info') {
  const t = $('toast')
  t.textContent = text
  t.dataset.level = level
  t.hidden = false
  clearTimeout(toastTimer)
  toastTimer = setTimeout(() => { t.hidden = true }, level === 'error' ? 10_000 : 6000)
}

/** Asks for the API key in a dialog; resolves true when one was saved. */
function askKey (reason) {
  const dialog = $('key-dialog')
  $('key-why').textContent = `${reason} It is kept in this browser only.`
  $('key-input').value = storedKey()
  return new Promise((resolve) => {
    const done = () => {
      dialog.removeEventListener('close', done)
      resolve(dialog.returnValue === 'saved')
    }
    dialog.returnValue = ''
    dialog.addEventListener('close', done)
    dialog.showModal()
    $('key-input').focus()
  })
}

$('key-form').addEventListener('submit', (e) => {
  e.preventDefault()
  storeKey($('key-input').value.trim())
  $('key-dialog').close($('key-input').value.trim() === '' ? '' : 'saved')
})
$('key-cancel').addEventListener('click', () => $('key-dialog').close(''))
$('key-forget').addEventListener('click', () => {
  storeKey('')
  $('key-input').value = ''
  $('key-dialog').close('')
  showToast('API key forgotten')
})
$('key-button').addEventListener('click', () => askKey('Start, stop and test-ping need the server\'s API key when one is set.'))

$('toggle-monitor').addEventListener('click', async () => {
  const action = $('toggle-monitor').dataset.action
  if (action === undefined || busy) return
  busy = true
  $('toggle-monitor').disabled = true
  try {
    const r = await post(`api/ping/service/${action}`, askKey)
    state.service = r.data
    showToast(r.data.running ? 'Monitor started' : 'Monitor stopped')
  } catch (err) {
    showToast(`Could not ${action} the monitor: ${err.message}`, 'error')
  } finally {
    busy = false
    render()
    poll()
  }
})

$('test-ping').addEventListener('submit', async (e) => {
  e.preventDefault()
  const ip = $('test-ip').value.trim()
  if (ip === '') return
  const button = e.target.querySelector('button')
  button.disabled = true
  try {
    const r = await post(`api/ping/test/${encodeURIComponent(ip)}`, askKey)
    const p = r.ping_result
    showToast(p.success ? `${r.ip_address} answered in ${ms(p.response_time_ms)}` : `${r.ip_address}: ${p.error_message}`, p.success ? 'ok' : 'error')
  } catch (err) {
    showToast(`Test ping failed: ${err.message}`, 'error')
  } finally {
    button.disabled = false
  }
})

// ---- filter -------------------------------------------------------------------------------------

const statusButtons = [...document.querySelectorAll('.toolbar [data-status]')]
let filterStatus = 'all'
function applyFilter () {
  for (const b of statusButtons) b.setAttribute('aria-pressed', String(b.dataset.status === filterStatus))
  table.setFilter($('filter-text').value, filterStatus)
}
for (const b of statusButtons) b.addEventListener('click', () => { filterStatus = b.dataset.status; applyFilter() })
$('filter-text').addEventListener('input', applyFilter)

// a wall screen polls forever; a background tab catches up as soon as it is shown again
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') poll() })

poll()
