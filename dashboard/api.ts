/**
 * Every call of the dashboard goes through here, to the public API with the organisation's key:
 * the dashboard can do nothing the API does not allow. Errors keep the API's field details.
 */
import { clearKey, getKey } from "./session";

export interface FieldError {
  path: string;
  message: string;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldError[] = [],
  ) {
    super(message);
  }
}

let onSignedOut: (message: string) => void = () => {};
/** What to do when the key is refused: main.ts goes back to the sign-in screen. */
export const whenSignedOut = (handler: (message: string) => void) => (onSignedOut = handler);

async function send(method: string, path: string, body?: unknown, key = getKey()): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${key ?? ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiFailure(0, "NETWORK", "The service could not be reached. Check your connection and try again.");
  }
  if (res.ok) return res;
  const payload = (await res.json().catch(() => null)) as { error?: { code: string; message: string; details?: FieldError[] } } | null;
  const error = payload?.error ?? { code: `HTTP_${res.status}`, message: `The service answered HTTP ${res.status}` };
  if (res.status === 401) {
    clearKey();
    onSignedOut("Your API key was not accepted. Sign in again.");
  }
  throw new ApiFailure(res.status, error.code, error.message, error.details ?? []);
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await send(method, path, body);
  return (res.status === 204 ? null : await res.json()) as T;
}

/** Checks a key before keeping it. */
export async function checkKey(key: string): Promise<boolean> {
  const res = await fetch("/v1/event-types", { headers: { Authorization: `Bearer ${key}` } }).catch(() => null);
  if (!res) throw new ApiFailure(0, "NETWORK", "The service could not be reached. Check your connection and try again.");
  return res.ok;
}

/** A file the API serves (a CSV export): fetched with the key, handed over as a Blob. */
export async function download(path: string): Promise<{ blob: Blob; filename: string }> {
  const res = await send("GET", path);
  const disposition = res.headers.get("Content-Disposition") ?? "";
  const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? "export.csv";
  return { blob: await res.blob(), filename };
}
