/**
 * Secrets enter dfp only as references (a Secret's name and key). These checks catch the
 * two ways a value slips in anyway: a credential-named variable given a literal value,
 * and a literal that has the unmistakable shape of a credential wherever it is written.
 * Each returns a message for the rules to report at the construct path, or undefined.
 */

/**
 * Names that say "this holds a credential" (env vars, parameters): the credential word
 * ends the name (`DB_PASSWORD`, `GITHUB_TOKEN`, `AWS_ACCESS_KEY_ID`), so that names about
 * one (`TOKEN_URL`, `SECRET_NAME`) stay free.
 */
const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY(_?ID)?|PRIVATE_?KEY|CREDENTIALS?)$/i;

/**
 * Shapes no ordinary argument has: cloud access key ids, PEM private keys, JWTs, and
 * `password=…`-style assignments. Kept narrow on purpose: a false alarm blocks synth.
 */
const SECRET_SHAPES: readonly (readonly [string, RegExp])[] = [
  ['an AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['a private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['a JSON Web Token', /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/],
  ['an inline password', /\b(password|passwd|pwd|secret|token)\s*[=:]\s*[^\s{}$'"]{4,}/i],
];

/** What `value` looks like, if it looks like a credential. */
export function secretShape(value: string): string | undefined {
  return SECRET_SHAPES.find(([, re]) => re.test(value))?.[0];
}

/** True for a name that announces a credential. */
export const isSecretName = (name: string): boolean => SECRET_NAME.test(name);

/** A literal env value under a credential's name, or any literal shaped like one. */
export function checkInlineSecret(field: string, name: string | undefined, literal: string): string | undefined {
  if (name !== undefined && isSecretName(name) && literal !== '') {
    return (
      `${field} holds a literal value, but '${name}' names a credential; secrets go in by reference only: move ` +
      `it to secretEnv: { ${name}: { secret: '<Secret name>', key: '<key>' } }`
    );
  }
  const shape = secretShape(literal);
  if (shape)
    return (
      `${field} holds what looks like ${shape}; never write a secret into a definition: store it in a Kubernetes ` +
      'Secret and reference it with secretEnv'
    );
  return undefined;
}
