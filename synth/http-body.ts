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
