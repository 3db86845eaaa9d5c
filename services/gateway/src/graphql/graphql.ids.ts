const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Every id in the API is a UUID. An id that is not one cannot name anything, so lookups answer
 * "not found" for it instead of handing PostgreSQL a value its uuid columns reject.
 */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
