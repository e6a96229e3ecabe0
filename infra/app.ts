import { App } from 'aws-cdk-lib';
import { MailroomStack } from './mailroom-stack.js';

const app = new App();

new MailroomStack(app, 'Mailroom', {
  description: 'Mailroom: HTTP-to-SMTP email API on SQS, DynamoDB and your own relays',
});
