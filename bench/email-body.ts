/**
 * The email every benchmark request sends, shaped like a real transactional message: a
 * sender with a display name, two To and one Cc recipient, text and HTML parts (about
 * 1.9 KB of JSON in all), one custom header and tags.
 */
const LINES = [
  'Hello Ana,',
  '',
  'Good news: order 48213 left our warehouse this morning and is on its way to you.',
  'Carrier: Parcelnet, tracking number PN-7731-0042-1187. It should arrive by Thursday.',
  'Items: 1 x Walnut desk organiser, 2 x Linen notebook (A5, dotted), 1 x Brass pen.',
  'Delivery address: Rua das Flores 12, 4050-262 Porto, Portugal.',
  '',
  'You can follow the parcel or change the delivery day from your account page.',
  'If anything looks wrong, reply to this email and our support team will help.',
  '',
  'Thank you for shopping with us,',
  'The Northwind Goods team',
  '',
  'You receive this email because you placed an order at northwind.example.com.',
  'Email preferences: https://northwind.example.com/account/email (order 48213).',
];

const text = LINES.join('\n');
const html = '<!doctype html><html><body style="font-family:sans-serif">'
  + LINES.map((line) => (line === '' ? '<br>' : `<p>${line}</p>`)).join('')
  + '</body></html>';

export const EMAIL_BODY = {
  from: 'Northwind Goods <orders@northwind.example.com>',
  to: ['ana.lima@example.org', 'Rui Costa <rui.costa@example.net>'],
  cc: ['support-log@northwind.example.com'],
  subject: 'Your order 48213 has shipped',
  text,
  html,
  headers: { 'X-Order-Ref': 'order-48213' },
  tags: { category: 'shipping', campaign: 'order-updates' },
};

export const EMAIL_BODY_JSON = JSON.stringify(EMAIL_BODY);
