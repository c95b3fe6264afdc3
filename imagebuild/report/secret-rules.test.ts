// One test per rule of the secret table: what it must catch and a near miss it must leave alone.
// Key material is generated here at test time; no key is committed.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SECRET_RULES, isLiteralSecretValue, maskValue } from './secret-rules.js';
import { envPairs, scanFile, scanHistoryLine, scanPairs } from './secrets.js';

const rule = (id: string) => {
  const r = SECRET_RULES.find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id}`);
  return [r];
};
const file = (id: string, path: string, content?: string) => scanFile(rule(id), 0, path, content === undefined ? undefined : Buffer.from(content));

// Strings assembled at run time so no scanner flags this file itself.
const AKIA = ['AKIA', 'IOSFODNN7', 'EXAMPLE'].join('');

describe('secret rules', () => {
  it('has unique ids and a test below for each', () => {
    const ids = SECRET_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(
      ['aws-access-key-id', 'aws-credentials-file', 'docker-config-auth', 'dotenv-file', 'gcp-service-account', 'git-credentials-file', 'npmrc-token', 'private-key', 'secret-flag', 'secret-variable', 'ssh-private-key-file'].sort(),
    );
  });

  it('private-key: PEM (PKCS#1, PKCS#8) and OpenSSH private keys, in files and RUN lines; not public keys or certificates', () => {
    const pkcs8 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const pkcs1 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const pub = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const openssh = ['-----BEGIN OPENSSH', 'PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n'].join(' ');
    expect(file('private-key', 'app/key.pem', pkcs8)[0]).toMatchObject({ rule: 'private-key', path: '/app/key.pem', excerpt: '-----BEGIN PRIVATE KEY-----' });
    expect(file('private-key', 'app/rsa.pem', pkcs1)[0].excerpt).toBe('-----BEGIN RSA PRIVATE KEY-----');
    expect(file('private-key', 'root/.ssh/id_ed25519', openssh)).toHaveLength(1);
    expect(file('private-key', 'app/pub.pem', pub)).toEqual([]);
    expect(file('private-key', 'etc/ssl/cert.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')).toEqual([]);
    expect(scanHistoryLine(rule('private-key'), 2, `/bin/sh -c echo '${pkcs8.split('\n')[0]}' > /k`)).toHaveLength(1);
  });

  it('ssh-private-key-file: ~/.ssh/id_* by name, even unreadable; not the .pub half', () => {
    expect(file('ssh-private-key-file', 'root/.ssh/id_rsa')).toHaveLength(1);
    expect(file('ssh-private-key-file', 'home/app/.ssh/id_ed25519')).toHaveLength(1);
    expect(file('ssh-private-key-file', 'root/.ssh/id_rsa.pub')).toEqual([]);
    expect(file('ssh-private-key-file', 'root/.ssh/known_hosts')).toEqual([]);
  });

  it('dotenv-file: .env and .env.production; not .env.example or environment', () => {
    expect(file('dotenv-file', 'app/.env')).toHaveLength(1);
    expect(file('dotenv-file', '.env.production')).toHaveLength(1);
    expect(file('dotenv-file', 'app/.env.example')).toEqual([]);
    expect(file('dotenv-file', 'etc/environment')).toEqual([]);
    expect(file('dotenv-file', 'app/.envrc')).toEqual([]);
  });

  it('aws-credentials-file: ~/.aws/credentials; not ~/.aws/config', () => {
    expect(file('aws-credentials-file', 'root/.aws/credentials')).toHaveLength(1);
    expect(file('aws-credentials-file', 'root/.aws/config')).toEqual([]);
  });

  it('aws-access-key-id: AKIA/ASIA key IDs in files, env values and RUN lines, masked', () => {
    const f = file('aws-access-key-id', 'app/settings.py', `KEY = "${AKIA}"\n`);
    expect(f[0].excerpt).toBe('AKIA… (20 chars)');
    expect(f[0].excerpt).not.toContain(AKIA);
    expect(scanPairs(rule('aws-access-key-id'), 'env', [['AWS_ACCESS_KEY_ID', AKIA]])).toHaveLength(1);
    expect(scanHistoryLine(rule('aws-access-key-id'), 0, `/bin/sh -c aws configure set aws_access_key_id ${AKIA}`)).toHaveLength(1);
    expect(file('aws-access-key-id', 'app/x', 'AKIA-not-a-key akia1234567890123456')).toEqual([]);
  });

  it('gcp-service-account: service-account JSON with a private key; not other JSON', () => {
    const sa = JSON.stringify({ type: 'service_account', project_id: 'p', private_key_id: 'x', private_key: 'redacted', client_email: 'a@p.iam.gserviceaccount.com' }, null, 2);
    expect(file('gcp-service-account', 'app/sa.json', sa)).toHaveLength(1);
    expect(file('gcp-service-account', 'app/package.json', '{"type":"module","name":"x"}')).toEqual([]);
  });

  it('npmrc-token: .npmrc holding an auth token; not a registry-only .npmrc', () => {
    expect(file('npmrc-token', 'root/.npmrc', '//registry.npmjs.org/:_authToken=npm_abcdef\n')).toHaveLength(1);
    expect(file('npmrc-token', 'root/.npmrc', 'registry=https://registry.npmjs.org/\n')).toEqual([]);
  });

  it('docker-config-auth: .docker/config.json with an auth entry; not one using a credential helper', () => {
    expect(file('docker-config-auth', 'root/.docker/config.json', '{"auths":{"r.io":{"auth":"dTpw"}}}')).toHaveLength(1);
    expect(file('docker-config-auth', 'root/.docker/config.json', '{"credsStore":"desktop","auths":{"r.io":{}}}')).toEqual([]);
  });

  it('git-credentials-file: ~/.git-credentials; not .gitconfig', () => {
    expect(file('git-credentials-file', 'root/.git-credentials')).toHaveLength(1);
    expect(file('git-credentials-file', 'root/.gitconfig')).toEqual([]);
  });

  it('secret-variable: ENV/ARG/LABEL and RUN assignments with literal values; not references, switches or *_FILE', () => {
    const r = rule('secret-variable');
    const hits = scanPairs(r, 'env', envPairs(['DB_PASSWORD=hunter2hunter2', 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG', 'GITHUB_TOKEN=ghp_x1y2z3w4', 'PATH=/usr/bin', 'PWD=/', 'GPG_KEY=A035C8C19219BA82', 'DB_PASSWORD_FILE=/run/secrets/db', 'API_TOKEN=$TOKEN', 'USE_TOKEN=true', 'PASSWORD=']));
    expect(hits.map((h) => h.key)).toEqual(['DB_PASSWORD', 'AWS_SECRET_ACCESS_KEY', 'GITHUB_TOKEN']);
    expect(hits[0].excerpt).toBe('DB_PASSWORD=hunt… (14 chars)');
    expect(scanHistoryLine(r, 3, 'ENV DB_PASSWORD=hunter2hunter2')[0]).toMatchObject({ source: 'history', history: 3, key: 'DB_PASSWORD' });
    expect(scanHistoryLine(r, 1, 'ARG NPM_TOKEN=abc123xyz')[0].key).toBe('NPM_TOKEN');
    expect(scanHistoryLine(r, 1, '/bin/sh -c #(nop)  ENV API_SECRET s3cr3tvalue')[0].key).toBe('API_SECRET');
    expect(scanHistoryLine(r, 4, '|1 NPM_TOKEN=abc123xyz /bin/sh -c npm ci')[0].key).toBe('NPM_TOKEN');
    expect(scanHistoryLine(r, 4, 'ARG NPM_TOKEN')).toEqual([]);
    expect(scanHistoryLine(r, 4, 'ENV PATH=/usr/local/bin:/usr/bin')).toEqual([]);
  });

  it('secret-flag: --password/--token with a literal in RUN lines; not a variable', () => {
    const r = rule('secret-flag');
    expect(scanHistoryLine(r, 0, '/bin/sh -c mysql --password=hunter2 -e "select 1"')).toHaveLength(1);
    expect(scanHistoryLine(r, 0, '/bin/sh -c login --token abcdef123')).toHaveLength(1);
    expect(scanHistoryLine(r, 0, '/bin/sh -c mysql --password="$DB_PASSWORD"')).toEqual([]);
    expect(scanHistoryLine(r, 0, '/bin/sh -c tool --password-stdin < /run/secrets/p')).toEqual([]);
  });

  it('masks values and knows a literal from a reference', () => {
    expect(maskValue('abc')).toBe('***');
    expect(maskValue('supersecretvalue')).toBe('supe… (16 chars)');
    expect(isLiteralSecretValue('"quoted"')).toBe(true);
    expect(isLiteralSecretValue('${X}')).toBe(false);
    expect(isLiteralSecretValue("''")).toBe(false);
  });
});

describe('findings per variable', () => {
  it('reports a variable once even when several rules see it', () => {
    const hits = scanPairs(SECRET_RULES, 'env', [['AWS_ACCESS_KEY_ID', AKIA]]);
    expect(hits).toHaveLength(1);
    expect(scanHistoryLine(SECRET_RULES, 0, `ENV AWS_ACCESS_KEY_ID=${AKIA}`).filter((h) => h.key === 'AWS_ACCESS_KEY_ID')).toHaveLength(1);
  });
});
