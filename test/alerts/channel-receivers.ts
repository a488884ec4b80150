import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { simpleParser, type ParsedMail } from 'mailparser'
import type { TestContext } from '../helper.js'
import { WebhookReceiver } from './webhook-receiver.js'

// The real receivers the whole-service channel tests send to: one HTTP receiver answering as each
// provider does (Telegram's sendMessage body, PagerDuty's 202), and an SMTP server that takes mail
// only with the test's password, parsed. Closed in the teardown.

export interface ChannelReceivers {
  rx: WebhookReceiver
  mails: ParsedMail[]
  smtpPort: number
}

export async function startChannelReceivers (t: TestContext, smtpPassword: string): Promise<ChannelReceivers> {
  const rx = await WebhookReceiver.start(t, (req, res) => {
    res.writeHead(req.path.startsWith('/v2/enqueue') ? 202 : 200, { 'content-type': 'application/json' }).end(req.path.includes('/sendMessage') ? '{"ok":true,"result":{"message_id":1}}' : '{}')
  })
  const mails: ParsedMail[] = []
  const smtp = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth: (a, _s, cb) => { if (a.password === smtpPassword) cb(null, { user: a.username }); else cb(new Error('no')) },
    onData: (stream, _s, cb) => { simpleParser(stream).then((m) => { mails.push(m); cb() }, cb) }
  })
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => smtp.close(() => resolve())))
  return { rx, mails, smtpPort: (smtp.server.address() as AddressInfo).port }
}
