/**
 * Jinja template text (Airflow's templated fields; any later Jinja-rendering target).
 * A user string placed where Jinja renders must come out exactly as written, so a `{{`
 * in it is never evaluated. Plain text passes through unchanged, for readable files;
 * anything Jinja could read as syntax becomes one expression printing a string literal,
 * `{{ '…' }}`, whose escapes Jinja's lexer decodes back to the exact text.
 */

/** Characters written as themselves inside a Jinja string literal; the rest are escaped. */
const LITERAL_SAFE = /^[A-Za-z0-9 _.,:;/=+@!?()[\]*^|~<>$-]$/;

/**
 * Text that needs the expression form: template syntax and comments (`{` `}` `%` `#`),
 * and line ends, which Jinja's lexer normalises (`\r\n` → `\n`) and may strip at the end.
 */
const NEEDS_EXPRESSION = /[{}%#\r\n]/;

export interface TextOptions {
  /**
   * File extensions the renderer treats as "this value is a template file name" (an
   * Airflow operator's `template_ext`): a value ending in one would be loaded as a file.
   * @default []
   */
  readonly templateExt?: readonly string[];
}

/** Template text that renders to exactly `s`. */
export function jinjaText(s: string, options: TextOptions = {}): string {
  const endsWithExt = (options.templateExt ?? []).some((ext) => s.endsWith(ext));
  return NEEDS_EXPRESSION.test(s) || endsWithExt ? `{{ ${jinjaString(s)} }}` : s;
}

/** One piece of a template: fixed user text, or a Jinja expression dfp wrote. */
export type TemplatePart = { readonly text: string } | { readonly expression: string };

/**
 * Pieces joined into one template. Each text piece is escaped by itself; an escaped
 * piece holds no `{`, so it cannot join its neighbour into new syntax. Only the last
 * piece decides the value's ending, so only it is checked against `templateExt`.
 */
export function jinjaTemplate(parts: readonly TemplatePart[], options: TextOptions = {}): string {
  return parts
    .map((part, i) => {
      if ('expression' in part) return `{{ ${part.expression} }}`;
      return jinjaText(part.text, i === parts.length - 1 ? options : {});
    })
    .join('');
}

/**
 * A Jinja string literal equal to `s`. Jinja decodes its literals with Python's
 * `unicode-escape` codec, so `\xNN`, `\uNNNN` and `\UNNNNNNNN` escapes cover every
 * code point and the literal itself is plain ASCII.
 */
export function jinjaString(s: string): string {
  let out = "'";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (LITERAL_SAFE.test(ch)) out += ch;
    else if (cp <= 0xff) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}'`;
}
