import { join } from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Architecture, Code, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { projectRoot } from './entries.js';

/**
 * `bundle` compiles the entry file with the local esbuild. `placeholder` ships a stub that
 * throws; it exists so the template can be checked before the handlers are written.
 */
export type CodeSource = 'bundle' | 'placeholder';

export interface MailroomFunctionProps {
  readonly entry: string;
  readonly codeSource: CodeSource;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment: Readonly<Record<string, string>>;
  /** Granted read and write access to items. */
  readonly table: ITable;
  /** Queues the function sends messages to. */
  readonly sendsTo?: readonly IQueue[];
}

const LOG_RETENTION = RetentionDays.ONE_MONTH;

/** An ESM bundle has no `require`; CommonJS dependencies that call it need one. */
const REQUIRE_BANNER =
  "import { createRequire as mailroomCreateRequire } from 'node:module';" +
  'const require = mailroomCreateRequire(import.meta.url);';

const PLACEHOLDER_SOURCE =
  "exports.handler = async () => { throw new Error('placeholder code, not a handler'); };";

/**
 * Every Mailroom function: Node.js 22 on arm64, an ESM bundle with source maps, its own
 * log group with a retention, and the grants that match its environment.
 */
export class MailroomFunction extends Construct {
  readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, props: MailroomFunctionProps) {
    super(scope, id);

    const logGroup = new LogGroup(this, 'Logs', { retention: LOG_RETENTION });
    this.fn = new NodejsFunction(this, 'Function', {
      ...codeOptions(props),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      description: props.description,
      timeout: props.timeout,
      memorySize: props.memorySize,
      logGroup,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
    });

    props.table.grantReadWriteData(this.fn);
    for (const queue of props.sendsTo ?? []) queue.grantSendMessages(this.fn);
  }
}

function codeOptions(props: MailroomFunctionProps) {
  if (props.codeSource === 'placeholder') {
    return { code: Code.fromInline(PLACEHOLDER_SOURCE), handler: 'index.handler' };
  }

  return {
    entry: props.entry,
    handler: 'handler',
    projectRoot,
    depsLockFilePath: join(projectRoot, 'package-lock.json'),
    bundling: {
      forceDockerBundling: false,
      format: OutputFormat.ESM,
      target: 'node22',
      mainFields: ['module', 'main'],
      banner: REQUIRE_BANNER,
      // The SDK version the tests ran against, not whichever one the runtime carries.
      bundleAwsSDK: true,
      minify: true,
      keepNames: true,
      sourceMap: true,
      sourcesContent: false,
    },
  };
}
