import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'node_modules/**', 'ping_results/**', 'data/**', '.tap/**', 'test-artifacts/**']
  }),
  {
    rules: {
      // the API, the CSV header and the inventory columns are snake_case by contract
      camelcase: 'off'
    }
  }
]
