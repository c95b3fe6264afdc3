export type * from './meta.js';
export type * from './core.js';
export type * from './coordination.js';
export type * from './policy.js';
export type * from './service.js';
