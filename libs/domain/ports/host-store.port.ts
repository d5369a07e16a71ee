import { type HostRecord } from '../hosts/host-record';

/** Durable storage of the site's hosts, owned by the host use cases. */
export interface HostStore {
  /** Stores a new host; throws DomainError('conflict') when the name or the URI is already registered. */
  create(host: HostRecord): Promise<void>;
  get(id: string): Promise<HostRecord | undefined>;
  /** Every host, by name. */
  list(): Promise<HostRecord[]>;
  /** Removes the host; false when it did not exist. */
  remove(id: string): Promise<boolean>;
}
