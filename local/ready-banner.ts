/** What `npm start` prints once the stack answers: where it is and how to try it. */
import type { LocalStack } from './local-stack.js';

export function readyBanner(stack: LocalStack, startedInMs: number): string {
  const auth = `-H 'Authorization: Bearer ${stack.apiKey}'`;
  const email = JSON.stringify({
    from: 'Mailroom <hello@mailroom.localhost>',
    to: 'you@example.com',
    subject: 'Hello from Mailroom',
    text: 'It works.',
  });
  const relay = stack.relay
    ? `development relay at ${stack.relay.host}:${stack.relay.port} (delivers nothing)`
    : stack.childEnv.SMTP_RELAYS ? 'the relays in SMTP_RELAYS' : 'the relay in SMTP_URL';

  return [
    '',
    `Mailroom is running locally (ready in ${(startedInMs / 1000).toFixed(1)} s).`,
    '',
    `  API          ${stack.apiUrl}`,
    `  API key      ${stack.apiKey}`,
    `  SMTP         ${relay}`,
    ...(stack.relay ? [`  Dev mailbox  ${stack.relay.mailboxUrl}`] : []),
    '',
    'Send an email:',
    '',
    `  curl -sS ${stack.apiUrl}/v1/emails \\`,
    `    ${auth} \\`,
    `    -H 'Content-Type: application/json' \\`,
    `    -d '${email}'`,
    '',
    'Then follow it with the id from the answer:',
    '',
    `  curl -sS ${stack.apiUrl}/v1/emails/<id> ${auth}`,
    '',
    ...(stack.relay
      ? ['What the development relay received (same key):', '',
        `  curl -sS ${stack.relay.mailboxUrl} ${auth}`, '']
      : []),
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}
