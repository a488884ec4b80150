/** The part of a pino logger the plain modules use; tests pass a silent or capturing one. */
export interface Log {
  info: (o: object, m?: string) => void
  warn: (o: object, m?: string) => void
  error: (o: object, m?: string) => void
  debug?: (o: object, m?: string) => void
}
