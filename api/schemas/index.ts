// The building blocks of the kinds' schemas. A kind's schema is declared with the rest of the
// kind (api/kinds/), where schemaFor finds it by kind name.
export type { GroupVersionKind, JsonSchema } from './json-schema.js';
export { objectMetaSchema } from './meta.js';
