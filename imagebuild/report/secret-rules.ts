// The one table of secret rules the layer report applies. A rule looks at one of three things:
//   - a file in a layer: its path (`path`), and for small regular files its content (`content`);
//     a rule with both needs both (a `.npmrc` only counts when it holds a token);
//   - a KEY=VALUE pair from the image config (ENV, LABEL) or a history line (ENV, ARG, RUN):
//     `name` matches the key, and the value must be a literal (not "$VAR", not empty);
//   - free text of a history line (`text`), e.g. a key pasted into a RUN line.
// Patterns aim at what is a credential by construction (a PEM private key header, an AWS key ID
// shape, a service-account JSON), so ordinary files (busybox's /etc/passwd, /etc/group, the
// binaries) never match.

export interface SecretRule {
  id: string;
  description: string;
  /** Matches the file path, without the leading "/". */
  path?: RegExp;
  /** Matches the content of a small regular file (read as latin1). */
  content?: RegExp;
  /** Matches the key of a KEY=VALUE pair in ENV, ARG, LABEL or a RUN line. */
  name?: RegExp;
  /** Matches anywhere in a history line (created_by). */
  text?: RegExp;
}

const PRIVATE_KEY = /-----BEGIN (?:RSA |DSA |EC |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/;
const AWS_KEY_ID = /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/;

export const SECRET_RULES: readonly SecretRule[] = [
  { id: 'private-key', description: 'private key (PEM/OpenSSH)', content: PRIVATE_KEY, text: PRIVATE_KEY },
  { id: 'ssh-private-key-file', description: 'SSH private key file', path: /(?:^|\/)\.ssh\/id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?$/ },
  { id: 'dotenv-file', description: '.env file', path: /(?:^|\/)\.env(?:\.(?!example$|sample$|template$|dist$)[\w.-]+)?$/ },
  { id: 'aws-credentials-file', description: 'AWS credentials file', path: /(?:^|\/)\.aws\/credentials$/ },
  { id: 'aws-access-key-id', description: 'AWS access key ID', content: AWS_KEY_ID, text: AWS_KEY_ID },
  {
    id: 'gcp-service-account',
    description: 'GCP service-account key (JSON)',
    content: /^(?=[\s\S]*"type"\s*:\s*"service_account")(?=[\s\S]*"private_key"\s*:)/,
  },
  { id: 'npmrc-token', description: '.npmrc with an auth token', path: /(?:^|\/)\.npmrc$/, content: /(?:_authToken|_auth|_password)\s*=\s*\S/ },
  { id: 'docker-config-auth', description: 'Docker config.json with registry auth', path: /(?:^|\/)\.docker\/config\.json$/, content: /"auth"\s*:\s*"[^"]+"/ },
  { id: 'git-credentials-file', description: '.git-credentials file', path: /(?:^|\/)\.git-credentials$/ },
  {
    id: 'secret-variable',
    description: 'password/token/secret in a variable',
    // "_FILE" / "_PATH" names point at a secret elsewhere (the Docker secrets convention);
    // "_URL", "_USER" and the like name where or whose, not the secret.
    name: /^(?!.*_(?:FILE|PATH|DIR|URL|URI|HOST|USER|USERNAME|NAME)$)(?:.*[_.-])?(?:PASSWORD|PASSWD|PASSPHRASE|PASS|SECRET|TOKEN|AUTHTOKEN|APIKEY|API_KEY|ACCESS_KEY|SECRET_KEY|PRIVATE_KEY|CREDENTIALS?)(?:[_.-].*)?$/i,
  },
  { id: 'secret-flag', description: 'password/token passed as a command-line flag', text: /--(?:password|passwd|token|secret|api-key)[= ](?!\$|-)["']?[^\s"'$]{3,}/i },
];

/** Values that are not a secret even under a secret-looking name. */
export function isLiteralSecretValue(value: string): boolean {
  const v = value.trim().replace(/^(["'])(.*)\1$/, '$2');
  if (v === '') return false;
  if (/^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/.test(v)) return false; // a reference to another variable
  if (/^(?:true|false|yes|no|on|off|0|1|none|null)$/i.test(v)) return false; // a switch, not a value
  if (v.startsWith('/run/secrets/')) return false;
  return true;
}

/** Shows enough of a value to find it, never the whole secret. */
export function maskValue(value: string): string {
  const v = value.trim();
  if (v.length <= 6) return '*'.repeat(v.length);
  return `${v.slice(0, 4)}… (${v.length} chars)`;
}
