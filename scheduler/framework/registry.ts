// Plugins by name: a profile names plugins, the registry builds them with their args.
import type { Handle, PodBinder, Plugin } from './interfaces.js';

export interface PluginContext {
  handle: Handle;
  binder?: PodBinder;
}

export type PluginFactory = (args: unknown, ctx: PluginContext) => Plugin;

export class Registry {
  readonly #factories = new Map<string, PluginFactory>();

  constructor(entries: Record<string, PluginFactory> = {}) {
    for (const [name, f] of Object.entries(entries)) this.register(name, f);
  }

  register(name: string, factory: PluginFactory): void {
    if (this.#factories.has(name)) throw new Error(`a plugin named "${name}" is already registered`);
    this.#factories.set(name, factory);
  }

  has(name: string): boolean {
    return this.#factories.has(name);
  }

  build(name: string, args: unknown, ctx: PluginContext): Plugin {
    const f = this.#factories.get(name);
    if (!f) throw new Error(`plugin "${name}" does not exist (known: ${[...this.#factories.keys()].join(', ')})`);
    return f(args, ctx);
  }
}
