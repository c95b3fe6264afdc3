import type { Rule } from 'eslint';
declare const rule: Rule.RuleModule;
export default rule;
export declare const ALLOWED: Record<string, string[]>;
