/**
 * Compose-file variable interpolation (the subset docker-compose.yml uses): ${NAME}, ${NAME:-default},
 * ${NAME-default}, ${NAME:?message}, ${NAME?message}, defaults that interpolate themselves
 * (${A:-x${B:-y}z}, as Compose v2 does) and $$ for a literal dollar sign. Resolves a value the way
 * `docker compose` would for a given environment, so the test can check what the containers receive.
 */
export class MissingVariableError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

interface Reference {
  readonly name: string;
  readonly colon: boolean;
  readonly operator: '-' | '?' | undefined;
  /** The raw operand, itself to be interpolated (only when it is used). */
  readonly operand: string;
  /** Index just after the closing brace. */
  readonly end: number;
}

/** Reads the reference starting at `start` (pointing at "${"), matching nested braces. */
function readReference(value: string, start: number): Reference {
  const head = /^\$\{(\w+)(:?)([-?])?/.exec(value.slice(start));
  if (!head) throw new Error(`bad interpolation at ${value.slice(start)}`);
  let depth = 1;
  let index = start + head[0].length;
  const operandStart = index;
  for (; index < value.length; index += 1) {
    if (value.startsWith('$$', index)) {
      index += 1;
    } else if (value.startsWith('${', index)) {
      depth += 1;
      index += 1;
    } else if (value[index] === '}') {
      depth -= 1;
      if (depth === 0) break;
    }
  }
  if (depth !== 0) throw new Error(`unclosed interpolation in ${value}`);
  const operator = head[3] as '-' | '?' | undefined;
  if (operator === undefined && (head[2] === ':' || index !== operandStart))
    throw new Error(`bad interpolation at ${value.slice(start)}`);
  return {
    name: head[1] ?? '',
    colon: head[2] === ':',
    operator,
    operand: value.slice(operandStart, index),
    end: index + 1,
  };
}

function scan(value: string, visit: (reference: Reference) => string): string {
  let out = '';
  let index = 0;
  while (index < value.length) {
    if (value.startsWith('$$', index)) {
      out += '$';
      index += 2;
    } else if (value.startsWith('${', index)) {
      const reference = readReference(value, index);
      out += visit(reference);
      index = reference.end;
    } else {
      out += value[index];
      index += 1;
    }
  }
  return out;
}

export function interpolate(value: string, env: Readonly<Record<string, string>>): string {
  return scan(value, ({ name, colon, operator, operand }) => {
    const current = env[name];
    const unset = current === undefined || (colon && current === '');
    if (operator === '-') return unset ? interpolate(operand, env) : (current ?? '');
    if (operator === '?') {
      if (unset) throw new MissingVariableError(name, interpolate(operand, env) || 'required');
      return current ?? '';
    }
    return current ?? '';
  });
}

/** Names that a value requires (${NAME:?...} / ${NAME?...}) at its top level. */
export function requiredVariables(value: string): string[] {
  const names: string[] = [];
  scan(value, ({ name, operator }) => {
    if (operator === '?') names.push(name);
    return '';
  });
  return names;
}

/** Every variable name a value refers to, nested defaults included. */
export function referencedVariables(value: string): string[] {
  const names: string[] = [];
  scan(value, ({ name, operand }) => {
    names.push(name, ...referencedVariables(operand));
    return '';
  });
  return names;
}

/**
 * A compose env_file as compose reads it: NAME=value lines, `#` comments and blank lines skipped,
 * values taken literally (this file's values are plain: no quotes, no interpolation).
 */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) env[match[1] ?? ''] = (match[2] ?? '').trim();
  }
  return env;
}
