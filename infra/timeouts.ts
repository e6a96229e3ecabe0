import { Duration } from 'aws-cdk-lib';

/**
 * After the final "." of DATA a client waits at least 10 minutes for the server's reply
 * (RFC 5321 section 4.5.3.2.6): giving up sooner risks a message that was accepted and is
 * then sent again.
 */
export const SMTP_FINAL_DOT_WAIT = Duration.minutes(10);

/** Connecting, TLS, EHLO, AUTH, the envelope and the DATA transfer itself. */
export const SMTP_SESSION_ALLOWANCE = Duration.minutes(4);

/** One SMTP session to the end of its longest wait: 10 + 4 = 14 minutes, under Lambda's 15. */
export const WORKER_TIMEOUT = SMTP_FINAL_DOT_WAIT.plus(SMTP_SESSION_ALLOWANCE);

/** One webhook batch: ten POSTs of at most a few seconds each, with room to spare. */
export const WEBHOOK_TIMEOUT = Duration.minutes(1);

/** Shorter than the one-minute schedule, so one sweep ends before the next begins. */
export const SWEEPER_TIMEOUT = Duration.seconds(50);

/** API Gateway HTTP APIs give up on an integration after 30 seconds; answer well before. */
export const API_TIMEOUT = Duration.seconds(10);
