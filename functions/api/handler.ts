import { handle } from 'hono/aws-lambda';

import { createApp } from './app.js';
import { buildApiDeps } from './build-api-deps.js';

/** Lambda entry point behind the HTTP API; configuration is read once per container. */
export const handler = handle(createApp(buildApiDeps()));
