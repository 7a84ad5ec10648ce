/**
 * Errors the store throws for requests it refuses. The HTTP layer maps them to 409 and 404; the `path`
 * names the offending field (`mac`, `ip`, `name`), prefixed with the change's index in a batch.
 */
import type { InventoryKind } from './types.js';

/** A document's key or unique field is already taken by another document. */
export class StoreConflictError extends Error {
  constructor(
    readonly kind: InventoryKind,
    /** The field that collides: `mac` or `ip` for hosts, `name` for profiles and groups. */
    readonly field: string,
    readonly value: string,
    /** Position of the change in the batch given to `apply`. */
    readonly index: number,
  ) {
    super(`${kind.slice(0, -1)} with ${field} ${value} already exists`);
    this.name = 'StoreConflictError';
  }
}

/** A change names a document that does not exist. */
export class StoreNotFoundError extends Error {
  constructor(
    readonly kind: InventoryKind,
    readonly key: string,
    readonly index: number,
  ) {
    super(`no ${kind.slice(0, -1)} ${key}`);
    this.name = 'StoreNotFoundError';
  }
}

/** A document cannot be stored at all (no key, malformed MAC); the caller should have validated it. */
export class StoreInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly index: number,
  ) {
    super(message);
    this.name = 'StoreInputError';
  }
}
