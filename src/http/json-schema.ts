import { z } from 'zod';

/**
 * JSON Schema (2020-12, the dialect of OpenAPI 3.1) of the zod schemas the routes declare. Covers
 * the constructs the routes use; anything else fails loudly at start-up rather than documenting a
 * route wrongly.
 */
export type JsonSchema = Record<string, unknown>;

export function jsonSchemaOf(schema: z.ZodTypeAny): JsonSchema {
  const description = schema.description === undefined ? {} : { description: schema.description };
  return { ...convert(schema), ...description };
}

function convert(schema: z.ZodTypeAny): JsonSchema {
  if (schema instanceof z.ZodObject) {
    const shape = schema.shape as Record<string, z.ZodTypeAny>;
    const required = Object.entries(shape)
      .filter(([, field]) => !field.isOptional())
      .map(([name]) => name);
    const properties = Object.fromEntries(Object.entries(shape).map(([name, field]) => [name, jsonSchemaOf(field)]));
    const strict = schema._def.unknownKeys === 'strict';
    return { type: 'object', properties, ...(required.length > 0 ? { required } : {}), ...(strict ? { additionalProperties: false } : {}) };
  }
  if (schema instanceof z.ZodString) {
    const result: JsonSchema = { type: 'string' };
    for (const check of schema._def.checks) {
      if (check.kind === 'min') result['minLength'] = check.value;
      else if (check.kind === 'max') result['maxLength'] = check.value;
      else if (check.kind === 'regex') result['pattern'] = check.regex.source;
      else if (check.kind === 'datetime') result['format'] = 'date-time';
    }
    return result;
  }
  if (schema instanceof z.ZodNumber) {
    const result: JsonSchema = { type: schema.isInt ? 'integer' : 'number' };
    for (const check of schema._def.checks) {
      if (check.kind === 'min') result['minimum'] = check.value;
      else if (check.kind === 'max') result['maximum'] = check.value;
    }
    return result;
  }
  if (schema instanceof z.ZodBoolean) return { type: 'boolean' };
  if (schema instanceof z.ZodNull) return { type: 'null' };
  if (schema instanceof z.ZodArray) return { type: 'array', items: jsonSchemaOf(schema.element as z.ZodTypeAny) };
  if (schema instanceof z.ZodEnum) return { type: 'string', enum: [...(schema.options as string[])] };
  if (schema instanceof z.ZodLiteral) return { const: schema.value as unknown };
  if (schema instanceof z.ZodNullable) return { anyOf: [jsonSchemaOf(schema.unwrap() as z.ZodTypeAny), { type: 'null' }] };
  if (schema instanceof z.ZodOptional) return jsonSchemaOf(schema.unwrap() as z.ZodTypeAny);
  if (schema instanceof z.ZodDefault) return { ...jsonSchemaOf(schema.removeDefault() as z.ZodTypeAny), default: schema._def.defaultValue() as unknown };
  if (schema instanceof z.ZodUnion) return { anyOf: (schema.options as z.ZodTypeAny[]).map(jsonSchemaOf) };
  if (schema instanceof z.ZodRecord) return { type: 'object', additionalProperties: jsonSchemaOf(schema.valueSchema as z.ZodTypeAny) };
  if (schema instanceof z.ZodEffects) return jsonSchemaOf(schema.innerType() as z.ZodTypeAny);
  if (schema instanceof z.ZodUnknown || schema instanceof z.ZodAny) return {};
  throw new Error(`no JSON Schema for zod type ${schema.constructor.name}`);
}
