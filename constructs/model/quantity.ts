/**
 * Kubernetes resource quantities: the grammar of k8s.io/apimachinery's resource.Quantity
 * (a signed decimal number, then a binary-SI, decimal-SI or exponent suffix).
 */
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const FACTORS: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The quantity's value as a number, or undefined when it is not a quantity. */
export function parseQuantity(text: string): number | undefined {
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const [, sign, digits, suffix = ''] = m as unknown as [string, string, string, string | undefined];
  const factor = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : FACTORS[suffix];
  if (factor === undefined) return undefined;
  return (sign === '-' ? -1 : 1) * Number(digits) * factor;
}

/** A message when `text` is not a non-negative quantity of `what`. */
export function checkQuantity(what: string, text: string, example: string): string | undefined {
  const value = parseQuantity(text);
  if (value === undefined) return `${what} '${text}' is not a Kubernetes quantity; write it like '${example}'`;
  if (value < 0) return `${what} '${text}' must not be negative`;
  return undefined;
}
