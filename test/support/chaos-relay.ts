import type { AddressInfo } from 'node:net';

import { SMTPServer } from 'smtp-server';

import { createCertificateAuthority, issueServerCertificate } from '../../local/certificates.js';

/**
 * A real SMTP server (`smtp-server`, STARTTLS + AUTH required) that fails at random, the way
 * relays do: 421 greetings, greylisting at RCPT, 451 or 550 after DATA, and silence after
 * the final dot. It records every DATA it received completely, with what it answered, so a
 * test can count how often each email reached it.
 */
export interface ChaosRates {
  greeting421: number;
  rcpt451: number;
  rcpt550: number;
  data451: number;
  /** Read the whole message, then never answer: the client cannot know the outcome. */
  silentAfterData: number;
}

export interface ReceivedCopy {
  relay: string;
  emailId: string;
  recipients: string[];
  /** `250`, `451`, `550`, or `none` when the relay stayed silent after the final dot. */
  answer: '250' | '451' | '550' | 'none';
}

export interface ChaosRelay {
  name: string;
  port: number;
  url: string;
  received: ReceivedCopy[];
  /** Turns the faults off or on, e.g. to let a run settle at the end. */
  setRates(rates: Partial<ChaosRates>): void;
  close(): Promise<void>;
}

let certificate: { caPem: string; certPem: string; keyPem: string } | undefined;

export function chaosCa(): string {
  certificate ??= issueServerCertificate(createCertificateAuthority('Chaos CA'), ['127.0.0.1']);
  return certificate.caPem;
}

/** A small seeded generator, so a failing run can be replayed with the same faults. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export async function startChaosRelay(
  name: string,
  rates: ChaosRates,
  random: () => number,
): Promise<ChaosRelay> {
  chaosCa();
  const tls = certificate as NonNullable<typeof certificate>;
  const received: ReceivedCopy[] = [];
  let current = { ...rates };
  const fail = (code: number, text: string) =>
    Object.assign(new Error(text), { responseCode: code });

  const server = new SMTPServer({
    key: tls.keyPem,
    cert: tls.certPem,
    authOptional: false,
    allowInsecureAuth: false,
    authMethods: ['PLAIN', 'LOGIN'],
    disableReverseLookup: true,
    logger: false,
    onConnect: (_session, callback) => {
      if (random() < current.greeting421) callback(fail(421, '4.7.0 Too busy, try later'));
      else callback();
    },
    onAuth: (auth, _session, callback) => {
      if (auth.username === 'chaos' && auth.password === 'chaos-pass') {
        callback(null, { user: 'chaos' });
      } else {
        callback(fail(535, '5.7.8 Authentication failed'));
      }
    },
    onRcptTo: (_address, _session, callback) => {
      const roll = random();
      if (roll < current.rcpt451) callback(fail(451, '4.7.1 Greylisted, try again in 1 second'));
      else if (roll < current.rcpt451 + current.rcpt550) callback(fail(550, '5.1.1 No such user'));
      else callback();
    },
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('latin1');
        const emailId = /^Message-ID: <(em_[0-9a-z]+)@/im.exec(raw)?.[1] ?? 'unknown';
        const recipients = session.envelope.rcptTo.map((rcpt) => rcpt.address);
        const roll = random();
        const copy = (answer: ReceivedCopy['answer']) => received.push({
          relay: name, emailId, recipients, answer,
        });

        if (roll < current.silentAfterData) {
          copy('none');
          return;
        }
        if (roll < current.silentAfterData + current.data451) {
          copy('451');
          callback(fail(451, '4.3.0 Temporary failure, try again'));
          return;
        }
        copy('250');
        callback(null, `Ok: queued as ${name}-${received.length}`);
      });
    },
  });
  server.on('error', () => {});

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    name,
    port,
    url: `smtp://chaos:chaos-pass@127.0.0.1:${port}?name=${name}`,
    received,
    setRates: (next) => {
      current = { ...current, ...next };
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Sessions left hanging by the silent fault would hold close() open.
      setTimeout(resolve, 2_000).unref();
    }),
  };
}
