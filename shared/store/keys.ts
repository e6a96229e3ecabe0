/**
 * Item keys. Every key starts with the account, so one account's data can never be read
 * through another's key, and moving to many accounts changes no item layout.
 *
 * | item              | pk                    | sk           | gsi1 (listing)             |
 * | ----------------- | --------------------- | ------------ | -------------------------- |
 * | email status      | A#<acct>#E#<emailId>  | E            | A#<acct>#E / <emailId>     |
 * | email content     | A#<acct>#E#<emailId>  | C, C#<n>     |                            |
 * | timeline event    | A#<acct>#E#<emailId>  | V#<eventId>  |                            |
 * | idempotency key   | A#<acct>#I#<key hash> | I            |                            |
 *
 * gsi2 holds only emails that still need work: pk `due#<shard>`, sk `<time>#<emailId>`,
 * where the time is when the sweeper should look at the email again.
 */
export const DUE_SHARDS = 4;

export const emailPk = (accountId: string, emailId: string) => `A#${accountId}#E#${emailId}`;
export const emailListPk = (accountId: string) => `A#${accountId}#E`;
export const idempotencyPk = (accountId: string, keyHash: string) => `A#${accountId}#I#${keyHash}`;

export const EMAIL_SK = 'E';
export const CONTENT_SK = 'C';
export const contentChunkSk = (index: number) => `C#${String(index).padStart(4, '0')}`;
export const eventSk = (eventId: string) => `V#${eventId}`;

export function dueShard(emailId: string): string {
  let hash = 0;
  for (const char of emailId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `due#${hash % DUE_SHARDS}`;
}

export const dueSk = (time: string, emailId: string) => `${time}#${emailId}`;
