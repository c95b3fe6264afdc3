// `skiff build [--root DIR] -t REF [-f Dockerfile] [--target STAGE] [--build-arg K=V]
// [--no-cache] [--pull] [--push] [--registry-config F] CONTEXT`: builds an image from a
// Dockerfile into the node-local image store of a runtime root (the same root and default
// as `skiff cri`), so `skiff cri run` and the kubelet on this node can use it at once.
// cmd/build.ts hands in the logger and where registry credentials are.
import { Command } from 'commander';
import type { Logger } from 'pino';
import { buildImage } from '../../imagebuild/builder.js';
import { pushBuiltImage } from '../../imagebuild/image-output.js';
import { analyzeManifest, formatWarnings, prescanLayer, reportCacheDir } from '../../imagebuild/report/analyze.js';
import { mark, timed, traceLines } from '../../imagebuild/trace.js';
import { ImageService } from '../../runtime/image-service.js';
import type { Descriptor } from '../../runtime/images/media-types.js';
import { collect } from '../apply/file-flags.js';
import type { CriEnv } from './cri-options.js';

/** Given by the entry point (cmd/build.ts). */
export interface BuildEnv extends Pick<CriEnv, 'dockerConfigs'> {
  /** The process's logger for the image service, or none (loading one costs a cached rebuild time). */
  logger(): Promise<Logger | undefined>;
}

interface BuildFlags {
  root: string;
  tag: string[];
  file?: string;
  target?: string;
  buildArg: string[];
  cache: boolean;
  pull?: boolean;
  push?: boolean;
  registryConfig?: string;
  runtime?: string;
  quiet?: boolean;
}

export function buildCommand(env: BuildEnv): Command {
  return new Command('build')
    .description('build an image from a Dockerfile into the node-local image store (and push it with --push)')
    .option('--root <dir>', 'runtime root directory', '/var/lib/skiff/runtime')
    .option('-t, --tag <ref>', 'name the image (repeatable), e.g. app:v1 or 127.0.0.1:5000/app:v1', collect, [])
    .option('-f, --file <path>', 'the Dockerfile (default: CONTEXT/Dockerfile)')
    .option('--target <stage>', 'build this stage and what it needs, not the last one')
    .option('--build-arg <K=V>', 'value for an ARG (repeatable)', collect, [])
    .option('--no-cache', 'run every step, ignoring the layer cache')
    .option('--pull', 'pull base images even when the image store has them')
    .option('--push', 'push the image to its registry after building it')
    .option('--registry-config <file>', 'registries.yaml (mirrors, auth, TLS) in k3s format')
    .option('--runtime <name>', 'OCI runtime for RUN steps: crun or runc (default: crun when usable)')
    .option('-q, --quiet', 'print only the image ID')
    .argument('<context>', 'the build context directory')
    .action(async (contextDir: string, flags: BuildFlags) => {
      mark('command start (modules loaded)');
      if (flags.tag.length === 0) throw new Error('skiff build needs -t/--tag: the name to store the image under');
      if (flags.runtime !== undefined && flags.runtime !== 'crun' && flags.runtime !== 'runc') throw new Error(`--runtime must be crun or runc, not ${flags.runtime}`);
      const buildArgs: Record<string, string> = {};
      for (const a of flags.buildArg) {
        const eq = a.indexOf('=');
        // Docker: "--build-arg NAME" takes NAME's value from the environment.
        if (eq < 0) {
          const v = process.env[a];
          if (v !== undefined) buildArgs[a] = v;
        } else buildArgs[a.slice(0, eq)] = a.slice(eq + 1);
      }
      const images = new ImageService({ root: flags.root, registryConfig: flags.registryConfig, dockerConfigs: env.dockerConfigs(), logger: await env.logger() });
      const output = flags.quiet ? undefined : process.stdout;
      // Each new layer's report scan starts as soon as it is stored, beside the later steps.
      const reportCache = reportCacheDir(flags.root);
      const prescans: Promise<void>[] = [];
      const onLayer = (d: Descriptor) => void prescans.push(prescanLayer(images.content, d, reportCache).catch(() => undefined));
      const result = await buildImage({
        images,
        context: contextDir,
        dockerfile: flags.file,
        tags: flags.tag,
        target: flags.target,
        buildArgs,
        noCache: !flags.cache,
        pull: flags.pull,
        output,
        runtime: flags.runtime as 'crun' | 'runc' | undefined,
        onLayer,
      }).finally(() => Promise.all(prescans));
      // The layer report (imagebuild/report): wasted bytes and likely secrets, as warnings.
      // Its cache under the root keeps a rebuild from re-reading layers the report has seen.
      const report = await timed('report analysis', () => analyzeManifest(images.content, result.manifestDigest, { cacheDir: reportCache }));
      for (const w of formatWarnings(report)) process.stderr.write(`${w}\n`);
      if (flags.push) {
        for (const p of await pushBuiltImage(images, result, flags.tag)) {
          if (!flags.quiet) process.stdout.write(`pushed ${p.ref}: ${p.uploaded} blob(s) uploaded, ${p.skipped} already there; digest ${p.digest}\n`);
        }
      }
      if (flags.quiet) process.stdout.write(`${result.imageId}\n`);
      mark('done');
      for (const l of traceLines()) process.stderr.write(`${l}\n`);
    });
}
