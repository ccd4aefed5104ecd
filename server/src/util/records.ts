/**
 * Records keyed by names from the source (locals, fields, typedefs, globals) or from the
 * knowledge table. C code may name a field `__proto__` or a function `constructor`: on a plain
 * object such a key reads Object.prototype's members, and a write to `__proto__` is lost. So
 * records are written and read through these helpers; they stay plain objects, as facts
 * parsed from JSON are, which hold such names as own properties.
 */

/** Sets `key` as an own property, `__proto__` included. */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
  else record[key] = value;
}

/** The record's own value for `key`, never an inherited one. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** The same for records of strings, in one lookup: inherited members are never strings. */
export function ownString(record: Readonly<Record<string, string>>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}
