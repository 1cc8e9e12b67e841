/**
 * The naming rules of the systems dfp renders for, each with the message that tells the
 * user what to write instead. A check returns undefined when the name is fine.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IDENTIFIER = /^[a-z][a-z0-9_]*$/;
const ENV_VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
/** A lakeFS commit id, and any sha256 digest dfp writes: 64 lower-case hex digits. */
export const HEX64 = /^[0-9a-f]{64}$/;
/** lakeFS's own rule for repository names. */
export const LAKEFS_REPOSITORY = /^[a-z0-9][a-z0-9-]{2,62}$/;
const LAKEFS_REF_NAME = /^\w[-\w.]*$/;

/** A lakeFS repository name. */
export function checkLakeFsRepository(name: string): string | undefined {
  return LAKEFS_REPOSITORY.test(name)
    ? undefined
    : `lakefsRepository '${name}' is not a lakeFS repository name (lowercase letters, digits and '-', 3 to 63 long)`;
}

/** A lakeFS branch or tag name. */
export function checkLakeFsRefName(kind: 'branch' | 'tag', name: string): string | undefined {
  return LAKEFS_REF_NAME.test(name) ? undefined : `ref.${kind} '${name}' is not a lakeFS ${kind} name`;
}

/** A Kubernetes object or template name: lower-case letters, digits and '-', at most 63. */
export function checkDnsLabel(what: string, name: string): string | undefined {
  if (name.length > 63 || !DNS_LABEL.test(name)) {
    return (
      `${what} ${quoted(name)} must be a DNS-1123 label: at most 63 lower-case letters, digits and '-', starting ` +
      `and ending with a letter or digit (e.g. '${suggestLabel(name)}')`
    );
  }
  return undefined;
}

/** A Kubernetes Secret, ConfigMap or PVC name. */
export function checkDnsSubdomain(what: string, name: string): string | undefined {
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    return (
      `${what} ${quoted(name)} must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.' (e.g. '` +
      `${suggestLabel(name)}')`
    );
  }
  return undefined;
}

/** Parameter, output and artifact names: valid in Python, Argo, Airflow and kfp alike. */
export function checkIdentifier(what: string, name: string): string | undefined {
  if (name.length > 63 || !IDENTIFIER.test(name)) {
    return (
      `${what} ${quoted(name)} must be snake_case: a lower-case letter, then lower-case letters, digits and '_', ` +
      `at most 63 in all (e.g. '${suggestIdentifier(name)}')`
    );
  }
  return undefined;
}

/** A container environment variable name. */
export function checkEnvVar(name: string): string | undefined {
  return ENV_VAR.test(name)
    ? undefined
    : `environment variable ${quoted(name)} must match [A-Za-z_][A-Za-z0-9_]* (e.g. '${suggestEnvVar(name)}')`;
}

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A Kubernetes label (or taint) key: `[prefix/]name`, the name at most 63 characters. */
export function checkLabelKey(what: string, key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const [prefix, name] = slash >= 0 ? [key.slice(0, slash), key.slice(slash + 1)] : [undefined, key];
  const ok =
    name.length <= 63 &&
    LABEL_NAME.test(name) &&
    (prefix === undefined || (prefix.length <= 253 && LABEL_PREFIX.test(prefix)));
  return ok
    ? undefined
    : `${what} key '${key}' is not a Kubernetes label key: '[prefix/]name', the name at most 63 letters, digits, ` +
        `'-', '_' and '.' (e.g. 'dfp.dev/kvm')`;
}

/** A Kubernetes label (or taint) value: empty, or at most 63 letters, digits, '-', '_' and '.'. */
export function checkLabelValue(what: string, value: string): string | undefined {
  return value === '' || (value.length <= 63 && LABEL_NAME.test(value))
    ? undefined
    : `${what} value '${value}' is not a Kubernetes label value: at most 63 letters, digits, '-', '_' and '.', ` +
        'starting and ending with a letter or digit';
}

/** A key inside a Secret or ConfigMap. */
export function checkSecretKey(secret: string, key: string | undefined): string | undefined {
  // `undefined` reaches here from JavaScript callers and casts that leave the key out.
  if (key === undefined || key === '')
    return `secret '${secret}' needs a key: name the key inside the Secret that holds the value`;
  return SECRET_KEY.test(key)
    ? undefined
    : `key '${key}' of secret '${secret}' may only hold letters, digits, '-', '_' and '.'`;
}

/**
 * A name as a message quotes it: whole up to 64 characters; longer, its start and its
 * length, so that a 300-character name does not fill the screen.
 */
export function quoted(name: string): string {
  return name.length <= 64 ? `'${name}'` : `'${name.slice(0, 32)}…' (${name.length} characters)`;
}

/** A DNS-1123 label close to `name` (also a valid subdomain): the suggestion passes the rule it is made for. */
export function suggestLabel(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return s === '' ? 'my-name' : s;
}

/** A snake_case identifier close to `name`, at most 63 long. */
export function suggestIdentifier(name: string): string {
  const s = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^[^a-z]+/, '')
    .slice(0, 63);
  return s === '' ? 'my_name' : s;
}

/** An environment variable name close to `name`. */
export function suggestEnvVar(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, '_$1');
  return s === '' ? 'MY_VAR' : s;
}

/** A container image reference: `[registry/]repository[:tag][@digest]`. */
const IMAGE = new RegExp(
  /^(?:[a-zA-Z0-9.-]+(?::\d+)?\/)?/.source + // registry
    /[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*/.source + // repository
    /(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/.source, // tag, digest
);

export function checkImage(image: string): string | undefined {
  return IMAGE.test(image)
    ? undefined
    : `image '${image}' is not a valid image reference; write it as 'registry/repository:tag' or ` +
        `'repository@sha256:<digest>'`;
}

/** Splits an image reference into its tag and digest, either of which may be absent. */
export function imageTagAndDigest(image: string): { tag?: string; digest?: string } {
  const [beforeDigest, digest] = image.split('@') as [string, string | undefined];
  const lastSlash = beforeDigest.lastIndexOf('/');
  const colon = beforeDigest.indexOf(':', lastSlash + 1);
  return { tag: colon >= 0 ? beforeDigest.slice(colon + 1) : undefined, digest };
}

/** An http(s) URL, as the platform endpoints are. */
export function checkUrl(what: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '')
    return `${what} is missing; set it to the service's http(s) URL (e.g. 'http://lakefs.lakefs:8000')`;
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    if (url.username || url.password) {
      return `${what} '${url.host}' must not carry credentials; reference a Secret instead`;
    }
    return undefined;
  } catch {
    return `${what} '${value}' is not an http(s) URL (e.g. 'http://lakefs.lakefs:8000')`;
  }
}
