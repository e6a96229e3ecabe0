/** What was asked to be sent, kept apart from the status item (bodies can reach megabytes). */
export interface EmailContent {
  text?: string;
  html?: string;
  headers?: Record<string, string>;
  attachments?: Array<{
    filename: string;
    /** base64, as received */
    content: string;
    contentType?: string;
    contentId?: string;
  }>;
}

/** Below DynamoDB's 400 KB item limit with room for keys and attribute names. */
export const CONTENT_CHUNK_BYTES = 350_000;

export function splitContent(content: EmailContent): string[] {
  const serialized = JSON.stringify(content);
  const chunks: string[] = [];
  const bytes = Buffer.from(serialized, 'utf8');
  if (bytes.length <= CONTENT_CHUNK_BYTES) return [serialized];

  // Split on byte offsets and store base64 (sized to stay within the limit) so a chunk
  // boundary inside a multi-byte character cannot corrupt the text.
  const rawBytes = Math.floor(CONTENT_CHUNK_BYTES / 4) * 3;
  for (let offset = 0; offset < bytes.length; offset += rawBytes) {
    chunks.push(bytes.subarray(offset, offset + rawBytes).toString('base64'));
  }
  return chunks;
}

export function joinContent(chunks: string[]): EmailContent {
  if (chunks.length === 1) return JSON.parse(chunks[0] as string) as EmailContent;

  const bytes = Buffer.concat(chunks.map((chunk) => Buffer.from(chunk, 'base64')));
  return JSON.parse(bytes.toString('utf8')) as EmailContent;
}
