import { type ManifestError } from '../manifest/service-definition';

/**
 * Validates a manifest's XML text against `schemas/service-manifest.xsd`.
 * Owned by manifest intake; the adapter (libs/adapters/xsd) runs libxml2 compiled to WebAssembly.
 * Returns every schema violation found, each with the element path and line; an empty list means valid.
 */
export interface ManifestSchemaValidator {
  validate(xml: string): Promise<ManifestError[]>;
}
