import t from 'tap'
import { chooseEncoding, ifNoneMatchHits } from '../../src/lib/accept-encoding.js'

t.test('Accept-Encoding per RFC 9110 §12.5.3', async (t) => {
  const cases: Array<[string | undefined, string, string]> = [
    [undefined, 'identity', 'no header: identity'],
    ['', 'identity', 'empty value: identity only'],
    ['gzip, deflate, br', 'br', 'a browser: br before gzip at equal q'],
    ['gzip, br', 'br', 'the order in the header does not decide at equal q'],
    ['gzip', 'gzip', 'gzip only'],
    ['GZip', 'gzip', 'coding names are case-insensitive'],
    ['x-gzip', 'gzip', 'x-gzip is gzip'],
    ['br;q=0.5, gzip;q=0.8', 'gzip', 'the higher q wins'],
    ['br;q=0.8, gzip;q=0.5', 'br', 'the higher q wins (other way round)'],
    ['br;q=0, gzip', 'gzip', 'q=0 excludes br'],
    ['br ; q = 0 , gzip', 'gzip', 'white space around the element and its parameter is tolerated'],
    ['br;Q=0, gzip', 'gzip', 'the q parameter name is case-insensitive'],
    ['gzip;q=0', 'identity', 'gzip excluded, identity acceptable by default'],
    ['gzip;q=0.000', 'identity', 'q=0.000 is zero'],
    ['*', 'br', '* accepts every coding'],
    ['*;q=0.5, gzip', 'gzip', 'an explicit coding beats * at a higher q'],
    ['br;q=0, *', 'gzip', '* does not bring back a coding excluded by name'],
    ['br;q=0, gzip;q=0, *', 'identity', 'everything compressed excluded: identity through *'],
    ['*;q=0', 'identity', 'nothing acceptable at all: identity all the same (no 406)'],
    ['*;q=0, gzip', 'gzip', '*;q=0 with gzip named'],
    ['identity;q=0, gzip;q=0.1', 'gzip', 'identity excluded'],
    ['identity, gzip;q=0.5', 'identity', 'identity preferred by q'],
    ['identity;q=0.5, gzip;q=0.5', 'gzip', 'at equal q the compressed coding'],
    ['compress, deflate, zstd', 'identity', 'unknown or not offered codings are ignored'],
    ['zstd, gzip;q=0.2', 'gzip', 'an unknown coding does not hide a known one'],
    ['gzip;q=2, br;q=0.1', 'br', 'an invalid q-value drops its element'],
    ['gzip;q=abc, br;q=0.1', 'br', 'a non-numeric q-value drops its element'],
    ['gzip;q=0.1234, br;q=0.1', 'br', 'more than 3 decimals is not a qvalue'],
    ['gzip;q=1.000', 'gzip', '1.000 is a qvalue'],
    [',, gzip ,', 'gzip', 'empty list elements are ignored'],
    ['gzip;level=9', 'gzip', 'a parameter other than q is ignored'],
    ['gzip;q=0.1, gzip;q=0.9, br;q=0.5', 'gzip', 'a coding named twice: the larger weight']
  ]
  for (const [header, want, why] of cases) t.equal(chooseEncoding(header), want, `${JSON.stringify(header)}: ${why}`)
})

t.test('If-None-Match, weak comparison (RFC 9110 §13.1.2, as §13.1.2 prescribes for If-None-Match)', async (t) => {
  t.equal(ifNoneMatchHits(undefined, '"a"'), false, 'no header')
  t.equal(ifNoneMatchHits('"a"', '"a"'), true, 'the same tag')
  t.equal(ifNoneMatchHits('W/"a"', '"a"'), true, 'a weak tag matches weakly')
  t.equal(ifNoneMatchHits('"b", "a"', '"a"'), true, 'one of a list')
  t.equal(ifNoneMatchHits('"b",W/"c"', '"a"'), false, 'none of a list')
  t.equal(ifNoneMatchHits('*', '"a"'), true, '* matches any current answer')
  t.equal(ifNoneMatchHits('"a-gz"', '"a"'), false, 'the gzip tag is not the identity tag')
  t.equal(ifNoneMatchHits('"a"', '"a-br"'), false, 'the identity tag is not the brotli tag')
  t.equal(ifNoneMatchHits('a', '"a"'), false, 'an unquoted value is not the tag')
})
