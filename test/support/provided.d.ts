// Values test/global-setup.ts provides to every test file through `inject()`.
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's shared in-memory DynamoDB Local, such as http://127.0.0.1:41234. */
    dynamoDbEndpoint: string;
  }
}
