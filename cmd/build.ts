// `skiff build`: the verb lives in cli/node/build.ts; this entry point gives it the process's
// logger and the docker configs where node-local registry requests find credentials.
import type { Command } from 'commander';
import { buildCommand as buildVerb } from '../cli/node/build.js';
import { cliDockerConfigs } from './docker-configs.js';

export function buildCommand(): Command {
  return buildVerb({
    // The image service logs at info level only (pulls, removals): at the default level
    // (warn) a logger prints nothing, and loading pino is ~0.1 s of a cached rebuild.
    logger: async () => {
      const level = process.env.SKIFF_LOG_LEVEL ?? 'warn';
      return ['info', 'debug', 'trace'].includes(level) ? (await import('./log.js')).createLogger('build', level) : undefined;
    },
    dockerConfigs: cliDockerConfigs,
  });
}
