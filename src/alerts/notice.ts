import type { NamedRef } from '../inventory/filter-inventory.js'

/**
 * Everything the alert channels can be asked to deliver besides device state changes (those come
 * through `Alerts.notify` as StateEvents). One shape per kind; channels subscribe by `event`.
 */
export type NoticeEvent = 'down' | 'up' | 'flapping' | 'site_down' | 'site_up' | 'maintenance_overdue' | 'report' | 'test'

export interface DeviceBrief {
  device_id: number
  ip_address: string
  hostname: string
}

/** A location whose devices are (or were) down together: one message instead of one per device. */
export interface SiteNotice {
  event: 'site_down' | 'site_up'
  /** epoch ms of the cycle that decided it */
  at: number
  location: NamedRef
  /** devices of the location not in maintenance */
  total: number
  down: number
  /** site_down: the down devices; site_up: the devices still down */
  devices: DeviceBrief[]
  /** site_up: epoch ms the site went down */
  down_since: number | null
}

/** Devices whose tenggat_maintenance has passed while kondisi still says maintenance (once a day). */
export interface OverdueNotice {
  event: 'maintenance_overdue'
  at: number
  devices: Array<DeviceBrief & { location: NamedRef, until: string }>
}

/** A shift report: the text for people, the figures for programs. */
export interface ReportNotice {
  event: 'report'
  at: number
  title: string
  text: string
  figures: Record<string, unknown>
}

export interface TestNotice {
  event: 'test'
  at: number
  text: string
}

export type Notice = SiteNotice | OverdueNotice | ReportNotice | TestNotice
