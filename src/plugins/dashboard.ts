import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import fastifyStatic from '@fastify/static'

// src/plugins/dashboard.ts under the test loader, dist/src/plugins/dashboard.js when built
const PUBLIC_DIR = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../public/' : '../../../public/', import.meta.url))
// uPlot is served from its own package so the page works offline and without a build step
const UPLOT_DIR = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist')

/**
 * The status dashboard at `/` (public/: plain ES modules, no build step) and the charting library it
 * uses at `/vendor/uplot/`. Encapsulated on purpose: its file routes must not leak decorators or hooks
 * into the API. `wildcard: false` registers one route per file at start, so every other path still
 * reaches the JSON 404 handler.
 */
export default async function dashboard (app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, {
    root: PUBLIC_DIR,
    prefix: '/',
    wildcard: false,
    decorateReply: false,
    index: 'index.html',
    // the page changes only with a deploy; revalidate (ETag) rather than cache blindly
    cacheControl: true,
    maxAge: 0
  })
  await app.register(fastifyStatic, {
    root: UPLOT_DIR,
    prefix: '/vendor/uplot/',
    wildcard: false,
    decorateReply: false,
    // only the ES module and its stylesheet are used by the page
    globIgnore: ['*.cjs.js', '*.iife.js', '*.iife.min.js', '*.d.ts'],
    maxAge: 3_600_000
  })
}
