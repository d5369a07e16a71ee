/** Time as an input, so that domain and use-case tests run in virtual time. */
export interface Clock {
  now(): Date;
}

/** Fresh ids (UUIDs) as an input, for the same reason. */
export interface IdGenerator {
  next(): string;
}
