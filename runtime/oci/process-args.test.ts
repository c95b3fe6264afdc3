import { describe, expect, it } from 'vitest';
import { isRuntimeError } from '../cri.js';
import { mergeEnv, processArgs } from './process-args.js';

describe('processArgs (Kubernetes command/args rules)', () => {
  const image = { entrypoint: ['/ep'], cmd: ['--default'] };
  it('keeps Entrypoint and Cmd when neither command nor args is given', () => {
    expect(processArgs(image, undefined, undefined)).toEqual(['/ep', '--default']);
  });
  it('replaces Entrypoint and Cmd when command is given', () => {
    expect(processArgs(image, ['/bin/sh'], undefined)).toEqual(['/bin/sh']);
    expect(processArgs(image, ['/bin/sh'], ['-c', 'x'])).toEqual(['/bin/sh', '-c', 'x']);
  });
  it('replaces only Cmd when only args are given', () => {
    expect(processArgs(image, [], ['--other'])).toEqual(['/ep', '--other']);
  });
  it('treats an Entrypoint of [""] as none', () => {
    expect(processArgs({ entrypoint: [''], cmd: ['sh'] }, undefined, undefined)).toEqual(['sh']);
  });
  it('rejects a container with nothing to run', () => {
    let err: unknown;
    try {
      processArgs({}, undefined, undefined);
    } catch (e) {
      err = e;
    }
    expect(isRuntimeError(err, 'InvalidArgument')).toBe(true);
  });
});

describe('mergeEnv', () => {
  it('puts image env first and lets the container override in place', () => {
    const env = mergeEnv(['PATH=/bin', 'A=1', 'B=2'], [{ key: 'A', value: 'x=y' }, { key: 'C', value: '3' }], { HOSTNAME: 'web' });
    expect(env).toEqual(['PATH=/bin', 'A=x=y', 'B=2', 'HOSTNAME=web', 'C=3']);
  });
  it('adds a default PATH when the image has none', () => {
    expect(mergeEnv([], [])[0]).toMatch(/^PATH=\/usr\/local\/sbin:/);
  });
});
