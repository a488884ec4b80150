import type { Device } from '../inventory/filter-inventory.js'
import type { MaintenanceStatus } from '../schemas/device-facts.js'
import { GroupIndex, GroupsCache, type Group, type GroupBy } from '../sites/groups.js'
import { SiteWatch, type SiteSettings } from '../sites/site-watch.js'
import { shownStates } from '../sites/sites.js'
import type { FleetView } from './fleet-view.js'

/**
 * /api/ping/groups for the whole fleet: the same groups and rules as the local ones (src/sites), over
 * the states the owners publish on the results stream. A site watch of its own works out which down
 * devices are behind down uplinks from the fleet's states (an instance alone sees only the uplinks it
 * pings). Computed when first asked for after the fleet view changed, then kept per grouping.
 */
export class FleetGroups {
  private readonly watch: SiteWatch
  private readonly cache: GroupsCache
  private index = new GroupIndex([])
  private indexed: Device[] | null = null
  private seenVersion = ''

  constructor (private readonly fleet: FleetView, settings: SiteSettings, maintenanceOf: (d: Device) => MaintenanceStatus) {
    this.watch = new SiteWatch({ settings, stateOf: (id) => fleet.stateOf(id), maintenanceOf })
    this.cache = new GroupsCache((by) => {
      const { states, maint } = shownStates(this.watch, maintenanceOf)
      return this.index.compute(by, states, maint, settings)
    })
  }

  groups (by: GroupBy): Group[] {
    const v = this.fleet.groupsVersion
    if (v !== this.seenVersion) {
      this.seenVersion = v
      const devices = this.fleet.allDevices()
      // setDevices reads every device's state afresh; a pass without changes then decides the uplinks
      this.watch.setDevices(devices)
      this.watch.onChanges([], Date.now())
      if (devices !== this.indexed) {
        this.indexed = devices
        this.index = new GroupIndex(this.watch.rawStates().devices)
      }
      this.cache.invalidate()
    }
    return this.cache.get(by)
  }
}
