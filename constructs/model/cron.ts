/**
 * Five-field cron expressions, as Argo (robfig/cron), Airflow (croniter) and Kubernetes
 * CronJobs all accept them, plus the common macros. Day-of-week is 0-6 because robfig
 * rejects 7. Month and day names are accepted here; `numericCron` spells them as numbers
 * for consumers whose schema only admits digits (Argo's CronWorkflow CRD).
 */
const MACROS = new Set(['@hourly', '@daily', '@midnight', '@weekly', '@monthly', '@yearly', '@annually']);
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 0, max: 6, names: DAYS },
] as const;

type Field = (typeof FIELDS)[number];

function value(field: Field, text: string): number | undefined {
  const names = 'names' in field ? (field.names as readonly string[]) : undefined;
  const named = names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return field.name === 'month' ? named + 1 : named;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= field.min && n <= field.max ? n : undefined;
}

function checkPart(field: Field, part: string): string | undefined {
  const [range, step, extra] = part.split('/');
  if (extra !== undefined || range === undefined || range === '') return `'${part}' is not a ${field.name} term`;
  if (step !== undefined && !(/^\d+$/.test(step) && Number(step) > 0))
    return `step '${step}' in the ${field.name} field must be a positive number`;
  if (range === '*') return undefined;
  const [lo, hi, more] = range.split('-');
  if (more !== undefined) return `'${range}' is not a ${field.name} range`;
  const a = value(field, lo ?? '');
  if (a === undefined) return `'${lo}' is out of range for the ${field.name} field (${field.min}-${field.max})`;
  if (hi === undefined) return undefined;
  const b = value(field, hi);
  if (b === undefined) return `'${hi}' is out of range for the ${field.name} field (${field.min}-${field.max})`;
  return a <= b ? undefined : `range '${range}' in the ${field.name} field runs backwards`;
}

/** A message when `expression` is not a cron expression, else undefined. */
/** A macro, or the whitespace-separated fields of `expression`. */
function tokens(expression: string): { macro: string } | { parts: string[] } {
  const trimmed = expression.trim();
  return MACROS.has(trimmed) ? { macro: trimmed } : { parts: trimmed.split(/\s+/) };
}

export function checkCron(expression: string): string | undefined {
  const t = tokens(expression);
  if ('macro' in t) return undefined;
  const parts = t.parts;
  if (parts.length !== 5) {
    return (
      `schedule '${expression}' must have 5 fields (minute hour day-of-month month day-of-week), e.g. '0 6 * * ` +
      `*', or be a macro such as '@daily'`
    );
  }
  for (const [i, text] of parts.entries()) {
    const field = FIELDS[i] as Field;
    for (const term of text.split(',')) {
      const problem = checkPart(field, term);
      if (problem) return `schedule '${expression}': ${problem}`;
    }
  }
  return undefined;
}

/** `expression` (already checked) with month and day names replaced by their numbers. */
export function numericCron(expression: string): string {
  const t = tokens(expression);
  if ('macro' in t) return t.macro;
  return t.parts
    .map((part, i) => {
      const field = FIELDS[i] as Field;
      return 'names' in field ? part.replace(/[A-Za-z]+/g, (name) => String(value(field, name) ?? name)) : part;
    })
    .join(' ');
}

/** A message when `zone` is not an IANA time zone this runtime knows. */
export function checkTimezone(zone: string): string | undefined {
  if (zone === 'UTC') return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(zone)
      ? undefined
      : `time zone '${zone}' is not an IANA name such as 'Europe/Berlin'`;
  } catch {
    return `time zone '${zone}' is not an IANA name such as 'Europe/Berlin'`;
  }
}
