import { describe, expect, it } from 'vitest';
import type { ConfigMap } from '../types/core.js';
import type { StatusCause } from '../types/meta.js';
import { validateObject } from '../validation/index.js';
import { MAX_CONFIG_MAP_BYTES } from './configmap.js';

const cm = (fields: Partial<ConfigMap>): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, ...fields });
const create = (o: ConfigMap): StatusCause[] => validateObject(o, { operation: 'create' });
const update = (o: ConfigMap, old: ConfigMap): StatusCause[] => validateObject(o, { operation: 'update', old });
const KEY_ERROR = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

describe('ConfigMap validation (ValidateConfigMap, ValidateConfigMapUpdate)', () => {
  it('takes keys of alphanumerics, - _ and ., in data and binaryData', () => {
    expect(create(cm({ data: { 'a.b_C-1': 'x' }, binaryData: { 'bin.dat': Buffer.from([0, 1, 2]).toString('base64') }, immutable: false }))).toEqual([]);
  });

  it("refuses other keys with Kubernetes' message and a bracketed field path", () => {
    expect(create(cm({ data: { 'a b': 'x' } }))).toEqual([{ reason: 'FieldValueInvalid', field: 'data[a b]', message: `Invalid value: "a b": ${KEY_ERROR}` }]);
    expect(create(cm({ binaryData: { '..x': '' } })).map((c) => [c.field, c.message])).toEqual([['binaryData[..x]', `Invalid value: "..x": must not start with '..'`]]);
    expect(create(cm({ data: { '.': '' } })).map((c) => c.message)).toEqual([`Invalid value: ".": must not be '.'`]);
    expect(create(cm({ data: { ['k'.repeat(254)]: '' } })).map((c) => c.message)).toEqual([`Invalid value: "${'k'.repeat(254)}": must be no more than 253 characters`]);
  });

  it('refuses a key in both data and binaryData', () => {
    expect(create(cm({ data: { k: 'x' }, binaryData: { k: 'eA==' } }))).toEqual([
      { reason: 'FieldValueInvalid', field: 'data[k]', message: 'Invalid value: "k": duplicate of key present in binaryData' },
    ]);
  });

  it('refuses more than 1 MiB of data and binaryData together, binaryData counted decoded', () => {
    const half = 'x'.repeat(MAX_CONFIG_MAP_BYTES / 2);
    expect(create(cm({ data: { a: half }, binaryData: { b: Buffer.from(half).toString('base64') } }))).toEqual([]);
    expect(create(cm({ data: { a: half, b: `${half}x` } }))).toEqual([{ reason: 'FieldValueTooLong', field: '', message: 'Too long: must have at most 1048576 bytes' }]);
  });

  it('refuses binaryData that is not base64', () => {
    expect(create(cm({ binaryData: { k: 'not base64!' } })).map((c) => c.field)).toEqual(['binaryData.k']);
  });

  it('keeps an immutable ConfigMap as it is, and immutable set', () => {
    const old = cm({ data: { a: 'b' }, immutable: true });
    expect(update(cm({ data: { a: 'b' }, immutable: true, metadata: { name: 'c', namespace: 'default', labels: { x: 'y' } } }), old)).toEqual([]);
    const forbidden = (field: string) => ({ reason: 'FieldValueForbidden', field, message: 'Forbidden: field is immutable when `immutable` is set' });
    expect(update(cm({ data: { a: 'c' }, immutable: true }), old)).toEqual([forbidden('data')]);
    expect(update(cm({ data: { a: 'b' }, binaryData: { z: 'eA==' }, immutable: true }), old)).toEqual([forbidden('binaryData')]);
    expect(update(cm({ data: { a: 'b' } }), old)).toEqual([forbidden('immutable')]);
    expect(update(cm({ data: { a: 'b' }, immutable: false }), old)).toEqual([forbidden('immutable')]);
    // A mutable one may change and become immutable.
    expect(update(cm({ data: { a: 'z' }, immutable: true }), cm({ data: { a: 'b' } }))).toEqual([]);
  });
});
