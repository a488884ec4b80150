import t from 'tap'
import { build } from '../../helper.js'

// The dashboard's files, served by the service itself; no browser and no network needed.
t.test('the dashboard and its chart library are served by the service', async (t) => {
  const { app } = await build(t)
  const page = await app.inject({ method: 'GET', url: '/' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.body, /<title>Multi-ping monitor<\/title>/)
  const refs = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])
  t.same(refs.filter((r) => /^(https?:)?\/\//.test(r)), [], 'nothing from another host (works offline, no CDN)')

  for (const [url, type] of [['/app.js', /javascript/], ['/table.js', /javascript/], ['/detail.js', /javascript/], ['/style.css', /text\/css/],
    ['/vendor/uplot/uPlot.esm.js', /javascript/], ['/vendor/uplot/uPlot.min.css', /text\/css/]] as const) {
    const r = await app.inject({ method: 'GET', url })
    t.equal(r.statusCode, 200, url)
    t.match(r.headers['content-type'], type, url)
    t.ok(r.headers.etag, `${url}: revalidated by ETag`)
  }
  t.equal((await app.inject({ method: 'HEAD', url: '/' })).statusCode, 200)
})

t.test('only the page files: everything else keeps the JSON 404 of the API', async (t) => {
  const { app } = await build(t)
  for (const url of ['/vendor/uplot/uPlot.cjs.js', '/vendor/uplot/uPlot.d.ts', '/vendor/uplot/../package.json', '/nope.html', '/api/nope', '/../package.json']) {
    const r = await app.inject({ method: 'GET', url })
    t.equal(r.statusCode, 404, url)
    t.match(r.json(), { success: false, error: /not found/ }, url)
  }
  t.equal((await app.inject({ method: 'POST', url: '/' })).statusCode, 404, 'read only')
})
