import { describe, expect, it } from 'vitest';
import { schemaKinds } from '../kinds/index.js';
import { schemaCauses } from './schema.js';

describe('schemas compiled on first use', () => {
  it('every kind compiles under ajv strict mode and refuses a non-object', () => {
    const kinds = schemaKinds();
    expect(kinds.length).toBeGreaterThan(5);
    for (const kind of kinds) {
      expect(() => schemaCauses({}, kind), kind).not.toThrow();
      expect(schemaCauses('x', kind).map((c) => c.reason), kind).toEqual(['FieldValueTypeInvalid']);
    }
  });

  it('a kind without a schema has nothing to say', () => {
    expect(schemaCauses({ anything: 1 }, 'NoSuchKind')).toEqual([]);
  });
});
