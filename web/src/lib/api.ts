// The console's one way to talk to its station: same-origin fetch with the session cookie, the
// CSRF token on every unsafe request, the officer's language in Accept-Language, and errors as
// `api_error` values carrying the API's code and field.
import type { labels_policy, language } from './types';

export class api_error extends Error {
  constructor(readonly status: number, readonly code: string, message: string,
              readonly field?: string) {
    super(message);
  }

  // The route does not exist on this station (yet): the caller hides the feature.
  get missing_route(): boolean {
    return this.status === 404 && this.field === undefined ||
           this.status === 405 || this.status === 501;
  }
}

let csrf_token = '';
let accept_language: language = 'en';

export function set_csrf(token: string | undefined) {
  csrf_token = token ?? '';
}

export function set_language(lang: language) {
  accept_language = lang;
}

// A request times out rather than hanging a control forever.
const request_timeout_ms = 15_000;

export async function call<T>(method: string, path: string, body?: unknown,
                              extra: Record<string, string> = {}): Promise<T> {
  const headers: Record<string, string> = { ...extra, Accept: 'application/json', 'Accept-Language': accept_language };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrf_token) headers['X-CSRF-Token'] = csrf_token;
  let res: Response;
  try {
    res = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(request_timeout_ms),
    });
  } catch (e) {
    throw new api_error(0, 'unreachable', e instanceof Error ? e.message : String(e));
  }
  const text = await res.text();
  const parsed = parse_json(text);
  if (!res.ok) throw error_of(res, parsed);
  return parsed as T;
}

function parse_json(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

function error_of(res: Response, parsed: unknown): api_error {
  const err = (parsed as { error?: { code?: string; message?: string; field?: string } } | null)?.error;
  return new api_error(res.status, err?.code ?? 'http_' + res.status, err?.message ?? res.statusText, err?.field);
}

// A file the station hands out (an evidence bundle), byte for byte as it was sent: signatures
// inside it must still verify, so it is never parsed and re-serialised.
export async function get_file(path: string): Promise<Blob> {
  let res: Response;
  try {
    res = await fetch(path, {
      headers: { 'Accept-Language': accept_language }, credentials: 'same-origin', cache: 'no-store',
      signal: AbortSignal.timeout(request_timeout_ms),
    });
  } catch (e) {
    throw new api_error(0, 'unreachable', e instanceof Error ? e.message : String(e));
  }
  if (!res.ok) throw error_of(res, parse_json(await res.text()));
  return res.blob();
}

export const get = <T>(path: string) => call<T>('GET', path);
export const post = <T>(path: string, body: unknown, headers?: Record<string, string>) =>
  call<T>('POST', path, body, headers);

// A random Idempotency-Key (128 bits, hex). crypto.getRandomValues works on plain HTTP too,
// where crypto.randomUUID does not.
export function new_idempotency_key(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
export const patch = <T>(path: string, body: unknown) => call<T>('PATCH', path, body);
export const del = <T>(path: string) => call<T>('DELETE', path);

export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? '?' + s : '';
}

// The station's handling labels (every role may read them). A station whose agreement defines
// none answers `defined: false`; one without the route is treated the same way.
export async function get_labels(): Promise<labels_policy> {
  try {
    const p = await get<labels_policy>('/api/v1/labels');
    return { ...p, markings: p.markings ?? [], caveats: p.caveats ?? [], organisations: p.organisations ?? [] };
  } catch (e) {
    if (e instanceof api_error && e.missing_route) return { defined: false, markings: [], caveats: [], organisations: [] };
    throw e;
  }
}
