/**
 * The console's only way to the service: the public REST API, same origin, with the API key the
 * user logged in with as a bearer token. Failures come back as RFC 7807 problems; `ApiError`
 * keeps the problem and says it in plain words.
 */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { field?: string; message?: string }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(plainWords(status, problem));
  }
}

/** A problem as a sentence an operator can act on: what failed, and why, without JSON. */
export function plainWords(status: number, problem: Problem): string {
  const base =
    status === 401
      ? 'Your API key was not accepted. Log in again.'
      : status === 403
        ? 'This API key may not do that.'
        : status === 404
          ? 'Not found: it may have been deleted, or it belongs to another tenant.'
          : status === 409
            ? 'That conflicts with the current state'
            : status === 429
              ? 'Too many requests: wait a moment and try again.'
              : status >= 500
                ? 'The service failed to answer. Try again; if it persists, check the server logs.'
                : (problem.title ?? `The request was refused (HTTP ${status})`);
  const detail = problem.detail && problem.detail !== problem.title ? problem.detail : undefined;
  const fields = (problem.errors ?? [])
    .map((e) => [e.field, e.message].filter(Boolean).join(': '))
    .filter(Boolean);
  return [base, detail, ...fields].filter(Boolean).join(' — ');
}

export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

export interface Principal {
  kind: string;
  tenantId?: string;
  roles: string[];
}

export interface Tenant {
  id: string;
  kind: 'owner' | 'reseller' | 'manufacturer';
  name: string;
  slug: string;
}

export interface WhoAmI {
  principal: Principal;
  tenant?: Tenant;
}

const KEY_STORAGE = 'ztp.console.apiKey';

export class Api {
  constructor(private readonly apiKey: string) {}

  static restore(): Api | undefined {
    const key = sessionStorage.getItem(KEY_STORAGE);
    return key ? new Api(key) : undefined;
  }

  remember(): void {
    sessionStorage.setItem(KEY_STORAGE, this.apiKey);
  }

  static forget(): void {
    sessionStorage.removeItem(KEY_STORAGE);
  }

  async request<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.apiKey}`,
      accept: 'application/json',
    };
    let payload: string | Uint8Array<ArrayBuffer> | undefined;
    if (body instanceof Uint8Array || typeof body === 'string') {
      headers['content-type'] = contentType ?? 'application/octet-stream';
      payload = body as string | Uint8Array<ArrayBuffer>;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(path, { method, headers, body: payload });
    } catch {
      throw new ApiError(0, { title: 'The service cannot be reached: check your connection.' });
    }
    const text = await res.text();
    const parsed = text ? safeJson(text) : undefined;
    if (!res.ok)
      throw new ApiError(res.status, (parsed as Problem | undefined) ?? { title: text.slice(0, 200) });
    return parsed as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body ?? {});
  }

  /** A download (a voucher as PEM or CBOR), as a Blob to save. */
  async download(path: string): Promise<Blob> {
    const res = await fetch(path, { headers: { authorization: `Bearer ${this.apiKey}` } });
    if (!res.ok) throw new ApiError(res.status, (safeJson(await res.text()) as Problem) ?? {});
    return res.blob();
  }

  /** Every page of a `{items, nextCursor}` list, up to `max` items. */
  async all<T>(path: string, max = 2000): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | undefined;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const page = await this.get<Page<T> | T[]>(
        cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path,
      );
      if (Array.isArray(page)) return page;
      out.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && out.length < max);
    return out;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { title: text.slice(0, 200) };
  }
}
