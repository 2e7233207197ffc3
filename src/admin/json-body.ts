// JSON request bodies: fastify's own parser (it refuses __proto__ and constructor.prototype
// keys), after a scan that refuses a shape no admin body has before JSON.parse builds it. An 8 MB
// body of nested arrays or of `{},{},...` costs hundreds of MB and blocks the loop for a second;
// the scan stops at the first bracket past the bounds.
import type { FastifyInstance } from 'fastify';
import { InvalidInput } from '../core/errors.ts';

export interface JsonShapeLimits {
  /** Objects and arrays inside one another. An admin body nests 4 deep at most. */
  depth: number;
  /** Objects and arrays in all. An import batch of 2,000 rows has about 3 a row. */
  containers: number;
}

export const JSON_SHAPE_LIMITS: JsonShapeLimits = { depth: 32, containers: 10_000 };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

/**
 * What is wrong with the shape of `text`, or undefined. Brackets inside strings are text; the
 * syntax itself is JSON.parse's to check afterwards.
 */
export function jsonShapeProblem(text: string, limits: JsonShapeLimits = JSON_SHAPE_LIMITS): string | undefined {
  let depth = 0;
  let containers = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > limits.depth) return `the JSON body nests objects and arrays deeper than ${limits.depth} levels`;
      if (++containers > limits.containers) return `the JSON body holds more than ${limits.containers} objects and arrays`;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return undefined;
}

/** Replaces the application/json parser; each route's bodyLimit still applies while the body is read. */
export function boundedJsonParser(app: FastifyInstance, limits: JsonShapeLimits = JSON_SHAPE_LIMITS): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body: string, done) => {
    const problem = jsonShapeProblem(body, limits);
    if (problem) {
      done(new InvalidInput(problem), undefined);
      return;
    }
    parse(req, body, (err, parsed) => {
      // fastify says the same for bad syntax and for a prototype key: say both.
      if ((err as { code?: string } | null)?.code === 'FST_ERR_CTP_INVALID_JSON_BODY') done(new InvalidInput('the body is not valid JSON, or names __proto__ or constructor.prototype'), undefined);
      else done(err, parsed);
    });
  });
}
