import { CfnParameter, type Stack } from 'aws-cdk-lib';

/** Environment variables for the functions, grouped by who needs them. */
export interface ConfigurationEnvironment {
  /** Every function: the configuration loader requires the API key everywhere. */
  readonly common: Record<string, string>;
  /** The worker alone talks to the relay, so it alone holds the relay's credentials. */
  readonly smtp: Record<string, string>;
  /** The API alone serves the inbound endpoint. */
  readonly inbound: Record<string, string>;
}

/** Same rule as the configuration loader: 16 to 256 printable characters, no spaces. */
const API_KEY_LENGTH = { minLength: 16, maxLength: 256 };
const PRINTABLE_WITHOUT_SPACES = '[\\x21-\\x7e]+';
const SMTP_URL = 'smtps?://.+';
const DOMAIN_OR_EMPTY = '[A-Za-z0-9.-]*';

/**
 * Deploy-time settings as stack parameters, so a bad value fails the deployment rather than
 * every cold start. Secrets are NoEcho: CloudFormation masks them in its console and API.
 */
export function configurationParameters(stack: Stack): ConfigurationEnvironment {
  const apiKey = new CfnParameter(stack, 'ApiKey', {
    type: 'String',
    noEcho: true,
    ...API_KEY_LENGTH,
    allowedPattern: PRINTABLE_WITHOUT_SPACES,
    constraintDescription: 'must be 16 to 256 printable characters without spaces',
    description: 'Key that clients of the HTTP API present.',
  });
  const smtpUrl = new CfnParameter(stack, 'SmtpUrl', {
    type: 'String',
    noEcho: true,
    allowedPattern: SMTP_URL,
    constraintDescription: 'must start with smtp:// (STARTTLS) or smtps:// (TLS)',
    description: 'Relay to send through, with credentials, e.g. smtps://user:pass@host:465.',
  });
  const inboundKey = new CfnParameter(stack, 'InboundKey', {
    type: 'String',
    noEcho: true,
    default: '',
    description: 'Key that callers of the inbound endpoint present; may stay empty.',
  });
  const messageIdDomain = domainParameter(stack, 'MessageIdDomain', 'generated Message-IDs');
  const bounceDomain = domainParameter(stack, 'BounceDomain', 'bounce (return-path) addresses');

  return {
    common: {
      MAILROOM_API_KEY: apiKey.valueAsString,
      MAILROOM_MESSAGE_ID_DOMAIN: messageIdDomain.valueAsString,
      MAILROOM_BOUNCE_DOMAIN: bounceDomain.valueAsString,
    },
    smtp: { SMTP_URL: smtpUrl.valueAsString },
    inbound: { MAILROOM_INBOUND_KEY: inboundKey.valueAsString },
  };
}

function domainParameter(stack: Stack, id: string, usedFor: string): CfnParameter {
  return new CfnParameter(stack, id, {
    type: 'String',
    default: '',
    allowedPattern: DOMAIN_OR_EMPTY,
    constraintDescription: 'must be a domain name such as mail.example.com, or empty',
    description: `Domain of ${usedFor}; empty for the default.`,
  });
}
