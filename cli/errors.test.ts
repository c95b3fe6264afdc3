import { describe, expect, it } from 'vitest';
import { errors } from '../api/errors.js';
import { parseDuration } from './context.js';
import { CliError, formatError } from './errors.js';

describe('formatError', () => {
  it('prints a server Status as kubectl does', () => {
    expect(formatError(errors.notFound('pods', 'kuard'))).toBe('Error from server (NotFound): pods "kuard" not found');
    expect(formatError(errors.invalid('Pod', 'x', [{ field: 'spec.containers', message: 'Required value' }]))).toBe(
      'Error from server (Invalid): Pod "x" is invalid: spec.containers: Required value',
    );
  });

  it('prints local problems with "error: " once', () => {
    expect(formatError(new CliError('must specify one of -f and -k'))).toBe('error: must specify one of -f and -k');
    expect(formatError(new Error('error: already prefixed'))).toBe('error: already prefixed');
  });

  it('gives kubectl\'s hint when nothing listens at the server', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    expect(formatError(refused, 'https://127.0.0.1:6443')).toBe('The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?');
  });
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['500ms', 500],
    ['5', 5000],
  ])('%s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it('refuses nonsense', () => {
    expect(() => parseDuration('soon')).toThrow('invalid duration "soon"');
  });
});
