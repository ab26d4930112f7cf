import { z } from 'zod';

/**
 * A PATCH body from an object schema: every field optional and WITHOUT its default. (zod 4 applies a
 * default inside .partial(), so `{offline: true}` would otherwise reset every other field to its default.)
 */
export function patchSchema<T extends z.ZodRawShape>(schema: z.ZodObject<T>) {
  const shape: Record<string, z.ZodType> = {};
  for (const [k, v] of Object.entries(schema.shape) as [string, z.ZodType][]) {
    shape[k] = (v instanceof z.ZodDefault ? (v.unwrap() as z.ZodType) : v).optional();
  }
  return z.object(shape).strict() as unknown as z.ZodObject<{ [K in keyof T]: z.ZodOptional<T[K]> }>;
}
