import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingEntries } from '../../infra/entries.js';
import { API_BURST_LIMIT, API_RATE_LIMIT } from '../../infra/mailroom-http-api.js';
import { MailroomStack, WORKER_MAX_CONCURRENCY } from '../../infra/mailroom-stack.js';
import { MAX_RECEIVE_COUNT, visibilityTimeoutFor } from '../../infra/queue-with-dead-letters.js';

// Real bundles once every handler exists; until then the template is checked with stubs.
const codeSource = missingEntries().length === 0 ? 'bundle' : 'placeholder';
const SYNTH_TIMEOUT_MS = 60_000;
const FUNCTIONS = ['Api', 'Worker', 'Sweeper', 'Webhooks'] as const;

let app: App;
let template: Template;

beforeAll(() => {
  app = new App();
  template = Template.fromStack(new MailroomStack(app, 'Mailroom', { codeSource }));
}, SYNTH_TIMEOUT_MS);

afterAll(() => {
  rmSync(app.outdir, { recursive: true, force: true });
});

/** The logical id CDK derived from a construct path, e.g. `Worker/Function`. */
function idOf(type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) =>
    new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id),
  );
  expect(ids, `${type} ${prefix}`).toHaveLength(1);
  return ids[0] as string;
}

const fnId = (name: string) => idOf('AWS::Lambda::Function', `${name}Function`);
const queueId = (name: string) => idOf('AWS::SQS::Queue', name);
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

function propertiesOf(id: string): Record<string, unknown> {
  return template.toJSON().Resources[id].Properties;
}

interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** Every IAM statement attached to a function's execution role. */
function statementsOf(name: string): Statement[] {
  const role = (propertiesOf(fnId(name)).Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: role }]) },
  });
  return Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

function allows(name: string, action: string, resource: unknown): boolean {
  return statementsOf(name).some(
    ({ Action, Resource }) =>
      [Action].flat().includes(action) &&
      [Resource].flat().some((granted) => isDeepStrictEqual(granted, resource)),
  );
}

describe('table', () => {
  it('keys items on pk/sk, expires them on expiresAt and keeps backups', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    });
  });

  it('has gsi1 and the sparse gsi2, both projecting every attribute', () => {
    const indexes = ['gsi1', 'gsi2'].map((name) => ({
      IndexName: name,
      KeySchema: [
        { AttributeName: `${name}pk`, KeyType: 'HASH' },
        { AttributeName: `${name}sk`, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    }));
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: indexes,
      AttributeDefinitions: Match.arrayWith([{ AttributeName: 'gsi2pk', AttributeType: 'S' }]),
    });
  });
});

describe('queues', () => {
  it.each(['Send', 'Webhook'])('%s queue redrives to its dead-letter queue', (name) => {
    expect(propertiesOf(queueId(`${name}Queue`))).toMatchObject({
      RedrivePolicy: {
        deadLetterTargetArn: arnOf(queueId(`${name}DeadLetters`)),
        maxReceiveCount: MAX_RECEIVE_COUNT,
      },
      SqsManagedSseEnabled: true,
    });
  });

  it('hides a send for six worker timeouts, longer than a worker can run', () => {
    const visibility = propertiesOf(queueId('SendQueue')).VisibilityTimeout as number;
    const workerTimeout = propertiesOf(fnId('Worker')).Timeout as number;

    expect(workerTimeout).toBe(14 * 60);
    expect(visibility).toBe(6 * workerTimeout);
  });

  it('caps the visibility timeout at the 12 hours SQS allows', () => {
    expect(visibilityTimeoutFor(Duration.hours(3)).toSeconds()).toBe(12 * 60 * 60);
  });
});

describe('functions', () => {
  it.each(FUNCTIONS)('%s runs Node.js 22 on arm64 with its own log group', (name) => {
    const properties = propertiesOf(fnId(name));
    const logGroup = (properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;

    expect(properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    expect(logGroup).toBe(idOf('AWS::Logs::LogGroup', `${name}Logs`));
    expect(propertiesOf(logGroup).RetentionInDays).toBe(30);
  });

  const ONLY: Record<string, Record<string, unknown>> = {
    Api: { MAILROOM_INBOUND_KEY: { Ref: 'InboundKey' } },
    Worker: { SMTP_URL: { Ref: 'SmtpUrl' } },
  };

  it.each(FUNCTIONS)('%s reads its configuration from the environment', (name) => {
    expect(propertiesOf(fnId(name)).Environment).toEqual({
      Variables: {
        MAILROOM_MODE: 'aws',
        MAILROOM_API_KEY: { Ref: 'ApiKey' },
        MAILROOM_MESSAGE_ID_DOMAIN: { Ref: 'MessageIdDomain' },
        MAILROOM_BOUNCE_DOMAIN: { Ref: 'BounceDomain' },
        MAILROOM_TABLE: { Ref: idOf('AWS::DynamoDB::Table', 'Table') },
        MAILROOM_QUEUE_URL: { Ref: queueId('SendQueue') },
        MAILROOM_WEBHOOK_QUEUE_URL: { Ref: queueId('WebhookQueue') },
        NODE_OPTIONS: '--enable-source-maps',
        ...ONLY[name],
      },
    });
  });

  it.each(FUNCTIONS)('%s reads and writes the table', (name) => {
    const table = arnOf(idOf('AWS::DynamoDB::Table', 'Table'));

    expect(allows(name, 'dynamodb:PutItem', table)).toBe(true);
    expect(allows(name, 'dynamodb:Query', table)).toBe(true);
  });

  it('sends only to the queues each function feeds', () => {
    const send = arnOf(queueId('SendQueue'));
    const webhook = arnOf(queueId('WebhookQueue'));

    expect(allows('Api', 'sqs:SendMessage', send)).toBe(true);
    expect(allows('Sweeper', 'sqs:SendMessage', send)).toBe(true);
    expect(allows('Worker', 'sqs:SendMessage', webhook)).toBe(true);
    expect(allows('Worker', 'sqs:ReceiveMessage', send)).toBe(true);
    expect(allows('Worker', 'sqs:SendMessage', send)).toBe(false);
    expect(allows('Webhooks', 'sqs:ReceiveMessage', webhook)).toBe(true);
  });
});

describe('triggers', () => {
  it('feeds the worker from the send queue and reports partial batch failures', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fnId('Worker') },
      EventSourceArn: arnOf(queueId('SendQueue')),
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: WORKER_MAX_CONCURRENCY },
    });
  });

  it('feeds the webhook function from the webhook queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fnId('Webhooks') },
      EventSourceArn: arnOf(queueId('WebhookQueue')),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('runs the sweeper every minute', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: arnOf(fnId('Sweeper')) })],
    });
  });

  it('routes every method and path of the HTTP API to the api function', () => {
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
    const [integration] = Object.keys(integrations);

    expect(Object.keys(integrations)).toHaveLength(1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: arnOf(fnId('Api')),
      PayloadFormatVersion: '2.0',
    });

    for (const RouteKey of ['ANY /', 'ANY /{proxy+}']) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey,
        Target: { 'Fn::Join': ['', ['integrations/', { Ref: integration }]] },
      });
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: API_RATE_LIMIT,
        ThrottlingBurstLimit: API_BURST_LIMIT,
      },
    });
  });
});

describe('parameters and outputs', () => {
  it('masks the secrets and leaves the domains optional', () => {
    const parameters = template.toJSON().Parameters;

    for (const secret of ['ApiKey', 'SmtpUrl', 'InboundKey']) {
      expect(parameters[secret]).toMatchObject({ Type: 'String', NoEcho: true });
    }
    expect(parameters.ApiKey).toMatchObject({ MinLength: 16, MaxLength: 256 });
    for (const domain of ['MessageIdDomain', 'BounceDomain']) {
      expect(parameters[domain]).toMatchObject({ Type: 'String', Default: '' });
      expect(parameters[domain].NoEcho).toBeUndefined();
    }
  });

  it('prints the API URL, the table name and the queue URL', () => {
    const outputs = template.toJSON().Outputs;

    expect(Object.keys(outputs)).toEqual(['ApiUrl', 'TableName', 'QueueUrl']);
    expect(outputs.QueueUrl.Value).toEqual({ Ref: queueId('SendQueue') });
  });
});

describe.skipIf(codeSource !== 'bundle')('bundles', () => {
  it('builds each handler into an ESM file that can still require', () => {
    const assets = readdirSync(app.outdir).filter((entry) => entry.startsWith('asset.'));

    expect(assets).toHaveLength(FUNCTIONS.length);
    for (const asset of assets) {
      const files = readdirSync(join(app.outdir, asset));
      const code = readFileSync(join(app.outdir, asset, 'index.mjs'), 'utf8');

      expect(files).toContain('index.mjs.map');
      expect(code).toMatch(/^import \{ createRequire as mailroomCreateRequire \}/);
    }
    for (const name of FUNCTIONS) {
      expect(propertiesOf(fnId(name))).toMatchObject({
        Handler: 'index.handler',
        Code: { S3Key: expect.stringMatching(/\.zip$/) },
      });
    }
  });
});
