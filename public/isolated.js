// A line needs two neighbours to be visible: a lone reply between gaps is drawn as a dot instead.
export function isolatedPoints (u, seriesIdx) {
  const ys = u.data[seriesIdx]
  const out = []
  for (let i = 0; i < ys.length; i++) {
    if (ys[i] !== null && ys[i] !== undefined && (ys[i - 1] ?? null) === null && (ys[i + 1] ?? null) === null) out.push(i)
  }
  return out
}

export const lonePoints = (stroke, size) => ({ show: true, size, stroke, fill: stroke, filter: isolatedPoints })
