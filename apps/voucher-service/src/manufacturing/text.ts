/** Whether text holds C0/C1 control characters or DEL, which have no place in names and serials. */
export function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/** A label of 1..max characters without control characters. */
export function isCleanLabel(value: unknown, max: number): value is string {
  return (
    typeof value === 'string' && value.length >= 1 && value.length <= max && !hasControlCharacters(value)
  );
}
