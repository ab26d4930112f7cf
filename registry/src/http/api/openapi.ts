import { z } from 'zod';
import { API_PREFIX, type ApiRoute } from './route.js';
import { apiErrorStatus, errorSchema } from './errors.js';

type Json = Record<string, unknown>;

function schemaOf(s: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  return rest;
}

/** Path or query parameters from an object schema. */
function parameters(where: 'path' | 'query', s: z.ZodType | undefined): Json[] {
  if (!s) return [];
  const js = schemaOf(s, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, schema]) => ({
    name,
    in: where,
    required: where === 'path' || (js.required ?? []).includes(name),
    schema,
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
  }));
}

/** OpenAPI 3.1 document generated from the same zod schemas that validate requests. */
export function openApiDocument(routes: ApiRoute[], version: string): Json {
  const paths: Record<string, Record<string, Json>> = {};
  const error = { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  for (const r of routes) {
    const status = String(r.status ?? (r.response || r.raw ? 200 : 204));
    const success: Json = r.raw
      ? { description: 'stream', content: { [r.rawContentType ?? 'application/octet-stream']: {} } }
      : r.response
        ? { description: 'success', content: { 'application/json': { schema: schemaOf(r.response, 'output') } } }
        : { description: 'done' };
    const op: Json = {
      operationId: `${r.method}${r.path.replace(/[{}]/g, '').replace(/(^|\/)(\w)/g, (_m, _s: string, c: string) => c.toUpperCase()).replace(/\W/g, '')}`,
      summary: r.summary,
      tags: [r.tag],
      'x-berth-access': r.access,
      parameters: [...parameters('path', r.params), ...parameters('query', r.query)],
      responses: { [status]: success, '4XX': error, '5XX': error },
      ...(r.access === 'public' ? { security: [] } : {}),
    };
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: schemaOf(r.body, 'input') } } };
    (paths[r.path] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Berth admin API',
      version,
      description:
        'JSON API behind the Berth GUI. Browsers use a session cookie plus the X-CSRF-Token header on writes; scripts use Basic credentials or a bearer token from POST /tokens. Errors are {"error":{"id","message","field"}} with a stable id.',
    },
    servers: [{ url: API_PREFIX }],
    paths,
    components: {
      schemas: { Error: schemaOf(errorSchema(z), 'output') },
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'berth_session' },
        basic: { type: 'http', scheme: 'basic' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
      'x-error-ids': apiErrorStatus,
    },
    security: [{ session: [] }, { basic: [] }, { bearer: [] }],
  };
}
