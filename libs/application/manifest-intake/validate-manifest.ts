import { analyzeManifestXml, type ManifestIntakeResult } from '@reservoir/domain/manifest/analyze-manifest';
import { resolveManifestLimits, type ManifestLimits } from '@reservoir/domain/manifest/limits';
import { mergeManifestErrors } from '@reservoir/domain/manifest/merge-errors';
import { preflightManifest } from '@reservoir/domain/manifest/preflight';
import { type ManifestSchemaValidator } from '@reservoir/domain/ports/manifest-schema.port';

/** Outcome of {@link ManifestValidator.validate}: the definition and decoded text, or every problem at once. */
export type ManifestValidation = ManifestIntakeResult;

/**
 * Manifest intake: raw bytes in, a trusted ServiceDefinition or the complete list of problems out.
 *
 *   preflight (size, UTF-8, no DTD, depth) ──fail──▶ errors (+ tooLarge for the 413)
 *        │ text
 *        ├──▶ domain: parse + structure + semantic rules ──▶ errors with paths, lines
 *        └──▶ XSD (the port), only when the text is well-formed XML ──▶ errors with paths, lines
 *   merged: domain errors first, an XSD error dropped when the domain already reported that path.
 *
 * Semantic cross-field rules run even when the structure or the XSD fails, as long as the root parsed.
 * A failure of the schema validator itself (not a finding about the manifest) rejects the promise.
 */
export class ManifestValidator {
  private readonly limits: ManifestLimits;

  constructor(
    private readonly schema: ManifestSchemaValidator,
    limits: Partial<ManifestLimits> = {},
  ) {
    this.limits = resolveManifestLimits(limits);
  }

  async validate(input: Uint8Array | string): Promise<ManifestValidation> {
    const preflight = preflightManifest(input, this.limits);
    if (!preflight.ok) return preflight;
    const analysis = analyzeManifestXml(preflight.xml, this.limits);
    if (!analysis.wellFormed) return { ok: false, errors: analysis.errors };
    const schemaErrors = await this.schema.validate(preflight.xml);
    const errors = mergeManifestErrors([analysis.errors, schemaErrors]);
    if (errors.length > 0 || !analysis.definition) return { ok: false, errors };
    return { ok: true, definition: analysis.definition, xml: preflight.xml };
  }
}
