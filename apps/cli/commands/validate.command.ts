import { readFile, stat } from 'node:fs/promises';
import { ManifestValidator } from '@reservoir/application/manifest-intake/validate-manifest';
import { XmllintSchemaValidator } from '@reservoir/adapters/xsd/xmllint-schema-validator';
import { type ParsedArgs, UsageError, optionInt, rejectUnknown } from '../args';
import { formatErrors, type Output } from '../output';

export const DEFAULT_MAX_BYTES = 1048576;
export const DEFAULT_MAX_DEPTH = 32;

/** `reservoir validate FILE [--max-bytes N]`: the broker's checks and limits, offline. Exit 0 valid, 1 rejected. */
export async function validateCommand(args: ParsedArgs, out: Output): Promise<number> {
  rejectUnknown(args, ['max-bytes', 'max-depth', 'json']);
  const [file, ...extra] = args.positionals;
  if (!file || extra.length > 0) throw new UsageError('usage: reservoir validate FILE [--max-bytes N] [--max-depth N] [--json]');
  const maxBytes = optionInt(args, 'max-bytes', DEFAULT_MAX_BYTES);
  const maxDepth = optionInt(args, 'max-depth', DEFAULT_MAX_DEPTH);
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) {
    out.err(`${file}: no such file`);
    return 1;
  }
  const schema = new XmllintSchemaValidator();
  // Refuse oversized files before reading them whole.
  const bytes = info.size > maxBytes ? new Uint8Array(maxBytes + 1) : new Uint8Array(await readFile(file));
  const result = await new ManifestValidator(schema, { maxBytes, maxDepth }).validate(bytes).finally(() => schema.close());
  if (args.options.has('json')) {
    out.log(JSON.stringify(result.ok ? { valid: true, definition: result.definition } : { valid: false, errors: result.errors }, null, 2));
    return result.ok ? 0 : 1;
  }
  if (result.ok) {
    const tiers = result.definition.tiers.map((t) => t.name).join(', ');
    out.log(`${file}: valid — service '${result.definition.name}' with ${result.definition.tiers.length} tier(s): ${tiers}`);
    return 0;
  }
  out.err(`${file}: rejected (${result.errors.length} problem(s))`);
  out.err(formatErrors(result.errors, file));
  return 1;
}
