/**
 * The pieces of the admin API's route schemas that every area uses the same way: a JSON answer or body, named path
 * parameters, and the search-and-page query of a list with its answer.
 */
import { z } from '@hono/zod-openapi';

/** A JSON answer of a route, as the document lists it. */
export const json = (description: string, schema: z.ZodType) => ({
  description,
  content: { 'application/json': { schema } },
});

/** A required JSON request body. */
export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

/** Path parameters, each named in the document (`{name}` in the route's path). */
export function pathParams<T extends Record<string, z.ZodType>>(shape: T) {
  return z.object(
    Object.fromEntries(
      Object.entries(shape).map(([name, s]) => [name, s.openapi({ param: { name, in: 'path' } })]),
    ) as T,
  );
}

/** The query of a searchable list: a substring, a status, and a page of at most 200. */
export function searchQuery(searchDescription: string, statuses: readonly [string, ...string[]]) {
  return z.object({
    search: z.string().max(256).optional().describe(searchDescription),
    status: z.enum(statuses).optional(),
    limit: z.coerce.number().int().min(1).max(200).optional(),
    offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
  });
}

/** The answer of a searchable list: `{<name>: [...], limit, offset}`. */
export const page = (name: string, item: z.ZodType) =>
  z.object({ [name]: z.array(item), limit: z.number(), offset: z.number() });
