/**
 * The naive baseline: the same job as Mailroom, done the simplest way in one process and
 * with nothing durable. Hono + zod accept POST /v1/emails, an in-memory FIFO holds the
 * email, and a nodemailer pool sends it (STARTTLS required, the relay's CA trusted, AUTH).
 * Its delivered emails/s is the limit the product is measured against.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import nodemailer from 'nodemailer';
import { z } from 'zod';

import { serveParent } from './serve-parent.js';

export interface NaiveSettings {
  smtpPort: number;
  user: string;
  pass: string;
  caFile: string;
  /** Pooled SMTP connections; sends in flight are twice this. */
  maxConnections: number;
}

export interface NaiveStats {
  accepted: number;
  sent: number;
  failed: number;
  peakDepth: number;
  firstFailure?: string;
}

const HOST = '127.0.0.1';
const MESSAGES_PER_CONNECTION = 100;

const address = z.string().min(3).max(320).regex(/^[^\r\n]*@[^\r\n]*$/);
const addresses = z.union([address, z.array(address).min(1).max(50)]);
const SendRequest = z.strictObject({
  from: address,
  to: addresses,
  cc: addresses.optional(),
  subject: z.string().min(1).max(998),
  text: z.string().optional(),
  html: z.string().optional(),
  headers: z.record(z.string().max(76), z.string().max(998)).optional(),
  tags: z.record(z.string().max(64), z.string().max(256)).optional(),
});
type SendRequest = z.infer<typeof SendRequest>;

function startPipeline(settings: NaiveSettings) {
  const queue: Array<{ id: string; email: SendRequest } | undefined> = [];
  let head = 0;
  let inFlight = 0;
  const stats: NaiveStats = { accepted: 0, sent: 0, failed: 0, peakDepth: 0 };
  const idPrefix = randomBytes(4).toString('hex');
  const maxInFlight = settings.maxConnections * 2;

  const transport = nodemailer.createTransport({
    host: HOST,
    port: settings.smtpPort,
    secure: false,
    requireTLS: true,
    tls: { ca: readFileSync(settings.caFile, 'utf8') },
    auth: { user: settings.user, pass: settings.pass },
    pool: true,
    maxConnections: settings.maxConnections,
    maxMessages: MESSAGES_PER_CONNECTION,
  });

  const pump = () => {
    while (inFlight < maxInFlight && head < queue.length) {
      const job = queue[head]!;
      queue[head++] = undefined;
      if (head === queue.length) {
        queue.length = 0;
        head = 0;
      }
      inFlight++;
      transport.sendMail({ ...job.email, messageId: `<${job.id}@bench.localhost>` }).then(
        () => stats.sent++,
        (error: Error) => {
          stats.failed++;
          stats.firstFailure ??= error.message;
        },
      ).finally(() => {
        inFlight--;
        pump();
      });
    }
  };

  const app = new Hono();
  app.post('/v1/emails', async (c) => {
    const parsed = SendRequest.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ error: 'validation_failed' }, 400);

    const id = `em_${idPrefix}${(stats.accepted++).toString(36)}`;
    queue.push({ id, email: parsed.data });
    stats.peakDepth = Math.max(stats.peakDepth, queue.length - head);
    pump();
    return c.json({ id, status: 'queued' }, 202);
  });

  const server = serve({ fetch: app.fetch, hostname: HOST, port: 0 });
  const listening = new Promise<number>((resolve) => {
    server.once('listening', () => resolve((server.address() as AddressInfo).port));
  });
  const stop = async () => {
    transport.close();
    const closed = new Promise<void>((done) => server.close(() => done()));
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    await closed;
  };
  return { listening, stats, stop };
}

let pipeline: ReturnType<typeof startPipeline> | undefined;

serveParent({
  start: async (settings) => {
    pipeline = startPipeline(settings as NaiveSettings);
    return { port: await pipeline.listening };
  },
  stats: () => ({ ...pipeline?.stats }),
}, async () => {
  await pipeline?.stop();
}, {});
