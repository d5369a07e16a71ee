/**
 * Protocol versions are "MAJOR.MINOR" (docs/rsrs-protocol.md, "Versioning"). A receiver accepts every minor of
 * its own major: a newer minor only adds optional fields (ignored by older receivers) or relaxes bounds; anything
 * an older receiver would misread needs a new major, which it rejects.
 */
import { PROTOCOL_VERSION } from './envelope';

export interface ProtocolVersion {
  major: number;
  minor: number;
}

const VERSION = /^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})$/;

/** Parses "MAJOR.MINOR" (no leading zeros, no suffix); undefined for anything else. */
export function parseVersion(text: unknown): ProtocolVersion | undefined {
  if (typeof text !== 'string') return undefined;
  const m = VERSION.exec(text);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/** True when a message of version `v` can be read by code speaking `ours`: the same major. */
export function isCompatibleVersion(v: unknown, ours: string = PROTOCOL_VERSION): boolean {
  const theirs = parseVersion(v);
  const mine = parseVersion(ours);
  if (mine === undefined) throw new Error(`invalid own protocol version ${JSON.stringify(ours)}`);
  return theirs !== undefined && theirs.major === mine.major;
}
