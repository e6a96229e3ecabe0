import {
  HttpApi,
  HttpMethod,
  HttpStage,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** Stage-wide defaults in requests per second; raise them for busy deployments. */
export const API_RATE_LIMIT = 50;
export const API_BURST_LIMIT = 100;

export interface MailroomHttpApiProps {
  /** Receives every request; it routes them itself. */
  readonly handler: IFunction;
}

/** An HTTP API that hands every method and path to one function (payload format 2.0). */
export class MailroomHttpApi extends Construct {
  readonly url: string;

  constructor(scope: Construct, id: string, props: MailroomHttpApiProps) {
    super(scope, id);

    const api = new HttpApi(this, 'Api', {
      description: 'Mailroom email API',
      createDefaultStage: false,
    });
    const stage = new HttpStage(this, 'Stage', {
      httpApi: api,
      autoDeploy: true,
      throttle: { rateLimit: API_RATE_LIMIT, burstLimit: API_BURST_LIMIT },
    });

    const integration = new HttpLambdaIntegration('Handler', props.handler, {
      payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
    });
    for (const path of ['/', '/{proxy+}']) {
      api.addRoutes({ path, methods: [HttpMethod.ANY], integration });
    }

    this.url = stage.url;
  }
}
