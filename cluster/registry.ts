// The local OCI registry of `skiff up` (Debian's docker-registry, the CNCF distribution
// registry): a config file with its storage under the state dir, listening on loopback.
import path from 'node:path';
import { stringify } from 'yaml';
import { makePrivateDir, writePrivateFile } from './state.js';
import type { ComponentSpec } from './supervisor.js';

export interface RegistryPlan {
  addr: string;
  dataDir: string;
  configFile: string;
}

export async function writeRegistryConfig(dir: string, addr = '127.0.0.1:5000'): Promise<RegistryPlan> {
  const dataDir = path.join(dir, 'data');
  makePrivateDir(dir);
  makePrivateDir(dataDir);
  const config = {
    version: 0.1,
    log: { level: 'warn', formatter: 'json', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: dataDir }, delete: { enabled: true } },
    http: { addr },
  };
  const configFile = path.join(dir, 'config.yml');
  await writePrivateFile(configFile, stringify(config));
  return { addr, dataDir, configFile };
}

export function registryComponent(plan: RegistryPlan): ComponentSpec {
  return { name: 'registry', command: 'docker-registry', args: ['serve', plan.configFile], stopGraceMs: 5000 };
}
