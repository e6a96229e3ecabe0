/**
 * The pieces the fault tests share: a scripted relay with the whole pipeline in front of
 * it, the relay scripts of the real-world cases, and ways to read what the relay and the
 * queue saw. Every server started here is closed by `rig.stop()`.
 */
import { readFileSync } from 'node:fs';

import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { expect } from 'vitest';

import { type EmailBody, type Pipeline, type PipelineOptions, startPipeline } from
  '../../support/pipeline.js';
import {
  RELAY_PASS,
  RELAY_USER,
  type RecordedTransaction,
  type ScriptedRelay,
  type ScriptedRelayOptions,
  type ScriptStep,
  startScriptedRelay,
} from '../../support/scripted-relay.js';

export interface Rig {
  relay: ScriptedRelay;
  pipeline: Pipeline;
  /** POSTs an email, expects 202 and returns its id. */
  send(body: unknown): Promise<string>;
  stop(): Promise<void>;
}

export interface RigOptions {
  sessions?: ScriptStep[][];
  relay?: Omit<ScriptedRelayOptions, 'sessions'>;
  /** Query string for the relay URL, such as `max_connections=2`. */
  query?: string;
  /** CA the pipeline trusts; the relay's own CA when absent. */
  caPem?: string;
  pipeline?: Omit<PipelineOptions, 'smtpUrl' | 'smtpRelays' | 'caPem'>;
}

export const MESSAGE = {
  from: 'Example Shop <orders@example.com>',
  to: ['ana.lima@example.org'],
  subject: 'Receipt 3310',
  text: 'Thanks for your payment.',
};

/** How long a test waits for a state the pipeline reaches in a few seconds. */
export const SETTLE_MS = 12_000;

/** The URL of a relay (or of anything in front of it) with the relay's credentials. */
export function relayUrl(relay: { host: string; port: number }, query?: string): string {
  const base = `smtp://${RELAY_USER}:${RELAY_PASS}@${relay.host}:${relay.port}`;
  return query ? `${base}?${query}` : base;
}

export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const relay = await startScriptedRelay({ ...options.relay, sessions: options.sessions ?? [] });

  try {
    const pipeline = await startPipeline({
      ...options.pipeline,
      smtpUrl: relayUrl(relay, options.query),
      caPem: options.caPem ?? relay.caPem,
    });
    return {
      relay,
      pipeline,
      send: (body) => sendEmail(pipeline, body),
      stop: async () => {
        await pipeline.stop();
        await relay.close();
      },
    };
  } catch (error) {
    await relay.close();
    throw error;
  }
}

export async function sendEmail(pipeline: Pipeline, body: unknown): Promise<string> {
  const response = await pipeline.send(body);
  const accepted = await response.json() as { id: string };

  expect(response.status).toBe(202);
  return accepted.id;
}

/** Transactions whose DATA carried this email (its id is in the Message-ID). */
export function dataFor(relay: ScriptedRelay, emailId: string): RecordedTransaction[] {
  return relay.transactions.filter((t) => t.raw.toString('latin1').includes(emailId));
}

/** Transactions of this email that reached the final dot. */
export function completedDataFor(relay: ScriptedRelay, emailId: string): RecordedTransaction[] {
  return dataFor(relay, emailId).filter((t) => t.completed);
}

/** Every command line the relay received, over all connections, in order. */
export function commandLines(relay: ScriptedRelay): string[] {
  return relay.sessions.flatMap((session) => session.commands.map((command) => command.line));
}

export function eventTypes(email: EmailBody): string[] {
  return email.events.map((event) => event.type);
}

export function eventsOf(email: EmailBody, type: string): Array<Record<string, unknown>> {
  return email.events.filter((event) => event.type === type)
    .map((event) => (event.detail ?? {}) as Record<string, unknown>);
}

export const hasEvent = (type: string, count = 1) => (email: EmailBody) =>
  email.events.filter((event) => event.type === type).length >= count;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = SETTLE_MS,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

export interface QueueCounts {
  visible: number;
  inFlight: number;
  delayed: number;
}

export async function queueCounts(pipeline: Pipeline): Promise<QueueCounts> {
  const { Attributes = {} } = await pipeline.queues.client.send(new GetQueueAttributesCommand({
    QueueUrl: pipeline.config.queueUrl,
    AttributeNames: [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesDelayed',
    ],
  }));
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

/** Waits until no job is waiting, in flight or delayed: every job was taken and finished. */
export async function waitForIdleQueue(pipeline: Pipeline, ms = SETTLE_MS): Promise<void> {
  await waitUntil('the send queue is empty', async () => {
    const counts = await queueCounts(pipeline);
    return counts.visible + counts.inFlight + counts.delayed === 0;
  }, ms);
}

/** Puts a job on the send queue by hand, with the body the API itself would queue. */
export async function queueJobAgain(pipeline: Pipeline, emailId: string, attempt = 0) {
  const job = { v: 1, accountId: pipeline.config.accountId, emailId, attempt };
  await pipeline.queues.client.send(new SendMessageCommand({
    QueueUrl: pipeline.config.queueUrl,
    MessageBody: JSON.stringify(job),
  }));
}

interface CaseSession {
  script: ScriptStep[];
  attempt?: number | string;
  variant?: string;
}

interface ScriptCase {
  id: string;
  input: {
    trigger?: { body: Record<string, unknown> };
    steps?: Array<{ body: Record<string, unknown> }>;
    sessions?: CaseSession[];
    scenarios?: Record<string, CaseSession[]>;
  };
}

const cases = JSON.parse(readFileSync(
  new URL('../../fixtures/cases/cases.json', import.meta.url), 'utf8',
)) as ScriptCase[];

function scriptCase(id: string): ScriptCase {
  const found = cases.find((c) => c.id === id);
  if (!found) throw new Error(`no case ${id}`);
  return found;
}

/** The email a case sends: its trigger, or the body of its first request. */
export function caseBody(id: string): Record<string, unknown> {
  const { input } = scriptCase(id);
  const body = input.trigger?.body ?? input.steps?.[0]?.body;
  if (!body) throw new Error(`case ${id} sends no email`);
  return body;
}

/** The relay scripts of a case, one per connection, optionally one scenario's. */
export function caseScripts(id: string, scenario?: string): ScriptStep[][] {
  const { input } = scriptCase(id);
  const sessions = scenario ? input.scenarios?.[scenario] : input.sessions;
  if (!sessions) throw new Error(`case ${id} has no sessions${scenario ? ` in ${scenario}` : ''}`);
  return sessions.map((session) => session.script);
}

/** One script of a case, picked by its `variant` name. */
export function caseVariant(id: string, variant: string): ScriptStep[] {
  const found = scriptCase(id).input.sessions?.find((session) => session.variant === variant);
  if (!found) throw new Error(`case ${id} has no variant ${variant}`);
  return found.script;
}

const TRANSACTION_STEPS = ['mail', 'rcpt', 'data', 'end-of-data', 'rset'];

/**
 * Scripts written per attempt, turned into scripts per connection. A connection that stays
 * open goes back to the pool and carries the next attempt, so each connection's script also
 * holds the transaction steps of every later attempt; a fresh connection starts with the
 * attempt it was opened for. Either way attempt N meets script N.
 */
export function perAttempt(scripts: ScriptStep[][]): ScriptStep[][] {
  const transaction = (script: ScriptStep[]) => script.filter((step) =>
    TRANSACTION_STEPS.some((verb) => step.on.toLowerCase().startsWith(verb)));

  return scripts.map((script, index) => [
    ...script,
    ...scripts.slice(index + 1).flatMap(transaction),
  ]);
}
