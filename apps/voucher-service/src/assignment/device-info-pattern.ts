/**
 * Glob patterns over DeviceInfo: `*` any run of characters, `?` one character, everything else
 * literal; the whole string must match. (Globs, not regular expressions: a rule cannot be made to
 * backtrack for ever.)
 */
export function globToRegExp(pattern: string): RegExp {
  const body = [...pattern]
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}

export function matchesGlob(pattern: string, value: string): boolean {
  return globToRegExp(pattern).test(value);
}
