import neostandard from 'neostandard'
import globals from 'globals'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'dist-bench/**', 'node_modules/**', 'ping_results/**', 'data/**', '.tap/**', 'test-artifacts/**']
  }),
  {
    rules: {
      // the API, the CSV header and the inventory columns are snake_case by contract
      camelcase: 'off'
    }
  },
  {
    // the dashboard: plain ES modules for the browser, served as they are
    files: ['public/**/*.js'],
    languageOptions: { globals: globals.browser },
    rules: {
      // uPlot's constructor is named uPlot by its authors
      'new-cap': ['error', { newIsCapExceptions: ['uPlot'] }]
    }
  }
]
