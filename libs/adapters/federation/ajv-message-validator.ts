/**
 * MessageSchemaValidator on Ajv (JSON Schema draft 2020-12) with the shipped schemas/rsrs/*.json. Every schema
 * is compiled once, in the constructor, so a missing or broken schema fails at boot, not on the first message.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import { findShippedFile } from '@reservoir/config';
import { type MessageType } from '@reservoir/domain/federation/protocol/envelope';
import { type MessageSchemaValidator } from '@reservoir/domain/ports/federation-security.port';
import { type ErrorDetail } from '@reservoir/domain/shared/domain-error';

/** Where the schemas live, relative to the repository (or deployment) root. */
export const RSRS_SCHEMA_DIR = join('schemas', 'rsrs');
const ENVELOPE_SCHEMA = 'envelope.json';
/** More violations than this in one message are summed up, not listed. */
const MAX_PROBLEMS = 20;

/** `CallForProposals` → `call-for-proposals.json`. */
export function schemaFileOf(type: MessageType): string {
  return `${type.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}.json`;
}

export function locateRsrsSchemas(startDir: string = __dirname): string {
  return findShippedFile(RSRS_SCHEMA_DIR, startDir);
}

export class AjvMessageValidator implements MessageSchemaValidator {
  private readonly envelope: ValidateFunction;
  private readonly byType = new Map<string, ValidateFunction>();

  constructor(schemaDir: string = locateRsrsSchemas()) {
    const ajv = new Ajv2020({ allErrors: true, strictSchema: true, strictNumbers: true, strictTypes: true, strictTuples: true, strictRequired: false });
    const schemas = readdirSync(schemaDir).filter((f) => f.endsWith('.json'));
    for (const file of schemas) ajv.addSchema(JSON.parse(readFileSync(join(schemaDir, file), 'utf8')) as object, file);
    this.envelope = compiled(ajv, ENVELOPE_SCHEMA);
    for (const file of schemas) {
      const schema = ajv.getSchema(file)?.schema as { title?: unknown; $ref?: unknown } | undefined;
      if (schema?.$ref === ENVELOPE_SCHEMA && typeof schema.title === 'string') this.byType.set(schema.title, compiled(ajv, file));
    }
  }

  /** The message types this validator has a schema for. */
  get types(): string[] {
    return [...this.byType.keys()];
  }

  validate(message: unknown): ErrorDetail[] {
    const type = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
    const validate = (typeof type === 'string' ? this.byType.get(type) : undefined) ?? this.envelope;
    if (validate(message)) return [];
    const problems = (validate.errors ?? []).map(toDetail);
    if (problems.length <= MAX_PROBLEMS) return problems;
    return [...problems.slice(0, MAX_PROBLEMS), { path: '/', message: `and ${problems.length - MAX_PROBLEMS} more problems` }];
  }
}

function compiled(ajv: Ajv2020, key: string): ValidateFunction {
  const fn = ajv.getSchema(key);
  if (!fn) throw new Error(`RS-RS schema ${key} is missing`);
  return fn;
}

function toDetail(e: ErrorObject): ErrorDetail {
  const at = e.instancePath === '' ? '' : e.instancePath;
  if (e.keyword === 'required') return { path: `${at}/${String((e.params as { missingProperty: string }).missingProperty)}`, message: 'is required' };
  if (e.keyword === 'const') return { path: at || '/', message: `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}` };
  if (e.keyword === 'enum') {
    return { path: at || '/', message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
  }
  return { path: at || '/', message: e.message ?? e.keyword };
}
