import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { createApp } from '../functions/api/app.js';
import { buildApiDeps } from '../functions/api/build-api-deps.js';
import { renderOpenApi } from '../scripts/write-openapi.js';
import { loadConfig } from '../shared/config/config.js';

describe('openapi.yaml', () => {
  it('is exactly what the schemas generate (run `npm run openapi` after a change)', () => {
    const committed = readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8');

    const generated = renderOpenApi();

    expect(committed).toBe(generated);
  });

  it('describes every route the API serves, and nothing else', () => {
    const document = parse(renderOpenApi()) as { paths: Record<string, Record<string, unknown>> };
    const app = createApp(buildApiDeps(loadConfig({
      MAILROOM_API_KEY: 'k'.repeat(32),
      MAILROOM_QUEUE_URL: 'http://127.0.0.1:1/queue/unused',
    })));

    const described = Object.entries(document.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`));
    const served = app.routes
      .filter((route) => route.method !== 'ALL')
      .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`)
      .map((route) => route.replace(/(.)\/$/, '$1'));

    expect([...new Set(described)].sort()).toEqual([...new Set(served)].sort());
  });

  it('lets an attachment contentType be in any case, as the validator does', () => {
    // The generated document is walked by hand; only the path to one schema matters here.
    const document = parse(renderOpenApi()) as {
      components: { schemas: Record<string, any> };
    };
    const attachment = document.components.schemas.SendEmailRequest
      .properties.attachments.items.properties;

    const pattern = new RegExp(attachment.contentType.pattern);

    expect(['text/plain', 'Text/Plain', 'APPLICATION/PDF'].map((type) => pattern.test(type)))
      .toEqual([true, true, true]);
  });
});
