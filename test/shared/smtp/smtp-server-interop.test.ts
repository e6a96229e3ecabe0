import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createCertificateAuthority, issueServerCertificate } from '../../../local/certificates.js';
import { SmtpSession, type RelayEndpoint } from '../../../shared/smtp/smtp-session.js';
import { TEST_TIMEOUTS } from '../../support/scripted-relay.js';

const USER = 'interop-user';
const PASS = 'interop-secret';

interface Received {
  from: string;
  to: string[];
  body: Buffer;
  secure: boolean;
  user: unknown;
}

async function startSmtpServer() {
  const certificate = issueServerCertificate(createCertificateAuthority(), ['127.0.0.1']);
  const received: Received[] = [];
  const authMethods: string[] = [];
  const server = new SMTPServer({
    key: certificate.keyPem,
    cert: certificate.certPem,
    authMethods: ['PLAIN', 'LOGIN'],
    size: 1024 * 1024,
    logger: false,
    onAuth(auth, _session, callback) {
      authMethods.push(auth.method);
      if (auth.username === USER && auth.password === PASS) return callback(null, { user: USER });
      return callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          body: Buffer.concat(chunks),
          secure: session.secure,
          user: session.user,
        });
        callback();
      });
    },
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const { port } = server.server.address() as AddressInfo;
  const endpoint: RelayEndpoint = {
    name: 'smtp-server',
    host: '127.0.0.1',
    port,
    secure: false,
    user: USER,
    pass: PASS,
    ca: certificate.caPem,
  };
  return { endpoint, received, authMethods };
}

describe('SmtpSession against smtp-server', () => {
  it('delivers over STARTTLS with AUTH and the body arrives unchanged', async () => {
    const { endpoint, received, authMethods } = await startSmtpServer();
    const message = Buffer.from(
      'From: orders@example.com\r\nTo: ana@example.org\r\nSubject: interop\r\n\r\n' +
        '.a line starting with a dot\r\n.\r\nlast line\r\n',
    );
    const session = await SmtpSession.open(endpoint, { timeouts: TEST_TIMEOUTS });
    onTestFinished(() => session.close());

    const result = await session.send(
      { from: 'orders@example.com', to: ['ana@example.org'], size: message.length },
      message,
    );
    await session.quit();

    expect(authMethods).toEqual(['PLAIN']);
    expect(session.capabilities.get('SIZE')).toBe(String(1024 * 1024));
    expect(result.finalDotWritten).toBe(true);
    expect(result.dataReply?.code).toBe(250);
    expect(result.queueId).toBeUndefined();
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      from: 'orders@example.com',
      to: ['ana@example.org'],
      secure: true,
      user: USER,
    });
    expect(received[0]?.body.equals(message)).toBe(true);
  });

  it('stops after one AUTH attempt when smtp-server rejects the password', async () => {
    const { endpoint, authMethods, received } = await startSmtpServer();

    const error = await SmtpSession.open(
      { ...endpoint, pass: 'wrong' },
      { timeouts: TEST_TIMEOUTS },
    ).catch((reason: unknown) => reason);

    expect(error).toMatchObject({ phase: 'auth', kind: 'reply', reply: { code: 535 } });
    expect(authMethods).toEqual(['PLAIN']);
    expect(received).toEqual([]);
  });
});
