/**
 * Compose-file variable interpolation (the subset docker-compose.yml uses): ${NAME}, ${NAME:-default},
 * ${NAME-default}, ${NAME:?message}, ${NAME?message} and $$ for a literal dollar sign. Resolves a
 * value the way `docker compose` would for a given environment, so the test can check what the
 * containers actually receive.
 */
export class MissingVariableError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

const REFERENCE = /\$\$|\$\{(\w+)(?:(:?)([-?])((?:[^}])*))?\}/g;

export function interpolate(value: string, env: Readonly<Record<string, string>>): string {
  return value.replace(
    REFERENCE,
    (whole, name?: string, colon?: string, operator?: string, operand?: string) => {
      if (whole === '$$') return '$';
      const variable = name ?? '';
      const current = env[variable];
      const unset = current === undefined || (colon === ':' && current === '');
      if (operator === '-') return unset ? (operand ?? '') : (current ?? '');
      if (operator === '?') {
        if (unset) throw new MissingVariableError(variable, operand ?? 'required');
        return current ?? '';
      }
      return current ?? '';
    },
  );
}

/** Names that a value requires (${NAME:?...} / ${NAME?...}). */
export function requiredVariables(value: string): string[] {
  return [...value.matchAll(REFERENCE)].filter((m) => m[3] === '?').map((m) => m[1] ?? '');
}
