/**
 * `max_per_second` counts messages as the relay sees them: emails that queued up while the
 * relay was slow do not go out together once it speeds up again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Pipeline, startPipeline } from '../../support/pipeline.js';
import { type RecordingRelay, startRecordingRelay } from '../../support/recording-relay.js';

const EMAILS = 30;
const PER_SECOND = 4;
/**
 * The relay counts when a body ends, a moment after the permit was taken: on a loaded
 * machine permits of second S can arrive in second S+1 beside that second's own. So a
 * relay-side second may see up to twice the limit; a burst of queued emails shows as far
 * more (18 in one second before permits waited for a connection).
 */
const MOST_IN_A_RELAY_SECOND = PER_SECOND * 2 + 1;

describe('a relay with max_per_second', () => {
  let relay: RecordingRelay;
  let pipeline: Pipeline;

  beforeAll(async () => {
    relay = await startRecordingRelay({ dataReplyDelayMs: 1_500 });
    pipeline = await startPipeline({
      smtpRelays: `${relay.url}?name=limited&max_per_second=${PER_SECOND}&max_connections=3`,
      caPem: relay.caPem,
    });
  });
  afterAll(async () => {
    await pipeline?.stop();
    await relay?.close();
  });

  it('never takes more than its limit in a second, also after a slow spell', async () => {
    const ids: string[] = [];
    for (let n = 0; n < EMAILS; n++) {
      const response = await pipeline.send({
        from: 'news@example.com', to: `reader${n}@example.org`, subject: `Issue ${n}`, text: 'x',
      });
      ids.push(((await response.json()) as { id: string }).id);
    }
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    relay.dataReplyDelayMs = 0;
    const spedUpAt = Date.now();

    await Promise.all(ids.map((id) =>
      pipeline.waitFor(id, (email) => email.status === 'sent', 60_000)));
    const perSecond = new Map<number, number>();
    for (const message of relay.log.messages) {
      const second = Math.floor(message.receivedAt / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }

    expect(relay.log.messages).toHaveLength(EMAILS);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(MOST_IN_A_RELAY_SECOND);
    // Once fast again, the backlog drains at the limit (plus the second already begun),
    // not all at once.
    const after = relay.log.messages.filter((m) => m.receivedAt >= spedUpAt);
    const spanSeconds = Math.max(...after.map((m) => m.receivedAt)) / 1000 - spedUpAt / 1000;
    expect(after.length).toBeGreaterThan(PER_SECOND * 2);
    expect(after.length / Math.max(1, spanSeconds + 1)).toBeLessThanOrEqual(PER_SECOND * 1.5);
  });
});
