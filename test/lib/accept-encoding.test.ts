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
    ['gzip;q=0.1, gzip;q=0.9, br;q=0.5', 'gzip', 'a coding named twice: the larger weight'],
    // §12.5.3 on identity: acceptable by default unless "identity;q=0", or "*;q=0" without a more
    // specific entry for identity
    ['identity;q=0', 'identity', 'identity excluded and no coding named: nothing acceptable, identity all the same (no 406)'],
    ['*;q=0, identity', 'identity', 'an explicit identity entry beats *;q=0'],
    ['*;q=0, identity;q=0.5, gzip;q=0.4', 'identity', 'identity named above gzip'],
    ['*, identity;q=0', 'br', '* with identity excluded: a coding'],
    ['*;q=0.5, identity;q=0', 'br', '* at q=0.5 covers br, identity excluded'],
    ['*;q=0.3, gzip;q=0.4', 'gzip', 'a named coding above * beats the codings * stands for'],
    ['*;q=0.5, br;q=0.4', 'gzip', '* stands for gzip (not named) at 0.5, above br named at 0.4'],
    ['br;q=0, gzip;q=0', 'identity', 'both codings excluded, identity not named: identity by default'],
    // names are case-insensitive (§8.4.1), the parameter name too (§5.6.6)
    ['BR', 'br', 'BR is br'],
    ['Identity;Q=0, GZIP', 'gzip', 'Identity, Q and GZIP in any case'],
    ['X-GZIP;q=0.5, br;q=0.4', 'gzip', 'X-GZIP is gzip'],
    // OWS is spaces and horizontal tabs (§5.6.3)
    ['gzip;\tq=0.5,\tbr;q=0.4', 'gzip', 'tabs around the parameter and the element'],
    ['  ', 'identity', 'white space only: an empty list'],
    // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) (§12.4.2)
    ['gzip;q=1., br;q=0.', 'gzip', '"1." and "0." are qvalues (0 excludes br)'],
    ['gzip;q=1.001, br;q=0.1', 'br', '1.001 is not a qvalue: gzip dropped'],
    ['gzip;q=.5, br;q=0.1', 'br', '.5 is not a qvalue (a digit first)'],
    ['gzip;q=-1, br;q=0.1', 'br', 'a negative weight is not a qvalue'],
    ['gzip;q=, br;q=0.1', 'br', 'an empty q is not a qvalue'],
    ['gzip;foo=bar;q=0.2, br;q=0.1', 'gzip', 'q after another parameter still counts'],
    // unknown codings (§12.5.3: a coding the server does not know is not acceptable to send, ignored)
    ['zstd;q=1, br;q=0.1', 'br', 'an unknown coding at a higher q does not win'],
    ['deflate', 'identity', 'deflate only: not offered, identity'],
    ['compress;q=0, identity;q=0', 'identity', 'only unknown and excluded ones: identity all the same']
  ]
  for (const [header, want, why] of cases) t.equal(chooseEncoding(header), want, `${JSON.stringify(header)}: ${why}`)
  // the choices are remembered per header value: asked again, in another order, the same answers
  for (const [header, want, why] of [...cases].reverse()) t.equal(chooseEncoding(header), want, `again: ${JSON.stringify(header)}: ${why}`)
  // more distinct values than are remembered: still chosen afresh, correctly
  for (let i = 0; i < 600; i++) {
    const br = i % 3 === 0
    t.equal(chooseEncoding(`gzip;q=0.${String(i % 1000).padStart(3, '0')}, br;q=${br ? '1' : '0'}`), br ? 'br' : 'gzip')
  }
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
