/**
 * What a server's answer was, in a few words, for an error message: an HTML page is
 * named by its title (never printed whole), other text is cut short and stripped of
 * control characters.
 */
export function describeBody(text: string): string {
  const t = text.trim();
  if (t === '') return 'an empty body';
  if (t.startsWith('<')) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(t)?.[1]?.trim();
    return title ? `an HTML page titled '${clean(title, 60)}'` : 'an HTML page';
  }
  return `'${clean(t, 80)}'`;
}

function clean(s: string, max: number): string {
  // Control characters are what this replaces: a server's reply must print on one line.
  // eslint-disable-next-line no-control-regex
  const one = s.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

/**
 * Why a `fetch` threw, in a few words: `timeout` when it was aborted by its deadline, else the
 * network's reason ("connection refused", "unknown host", an error code). fetch itself says
 * only "fetch failed"; the reason is in its cause.
 */
export function fetchFailure(
  e: unknown,
): { readonly timeout: true } | { readonly timeout: false; readonly why: string } {
  const err = e as { name?: string; cause?: { code?: string; message?: string }; message?: string };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return { timeout: true };
  const code = err.cause?.code;
  const why =
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ENOTFOUND'
        ? 'unknown host'
        : (code ?? err.cause?.message ?? err.message ?? 'network error');
  return { timeout: false, why };
}
