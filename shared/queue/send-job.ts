import { z } from 'zod';

/**
 * A job on the send queue: "try attempt N of this email". The table is the source of
 * truth; the job only says when to look. Small content may ride along so the worker needs
 * no extra read; it is a copy of immutable data, never the record of what to send.
 */
export const SendJob = z.strictObject({
  v: z.literal(1),
  accountId: z.string().min(1).max(64),
  emailId: z.string().min(1).max(64),
  attempt: z.number().int().min(0),
  content: z.strictObject({
    text: z.string().optional(),
    html: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    attachments: z.array(z.strictObject({
      filename: z.string(),
      content: z.string(),
      contentType: z.string().optional(),
      contentId: z.string().optional(),
    })).optional(),
  }).optional(),
});
export type SendJob = z.infer<typeof SendJob>;

/** SQS takes 256 KiB per message; the rest of the job and attributes need some room. */
export const INLINE_CONTENT_LIMIT_BYTES = 200_000;

export function parseSendJob(body: string): SendJob | undefined {
  try {
    const parsed = SendJob.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
