/**
 * What the create wizard and the edit screen hold while a person fills them in, and the API
 * bodies made from it. The API checks every rule; the only rule checked here is that a schema
 * box holds JSON, since the API cannot name a field it could not parse.
 */
import type { FieldError } from "../api";
import { DEFAULT_EVENTS } from "../catalogue";
import type { Header, Method, Webhook, WebhookType } from "../types";
import { DEFAULT_SCHEDULE_TEXT, parseSchedule, scheduleText } from "./retry-schedule";

export interface FormState {
  type: WebhookType;
  name: string;
  description: string;
  url: string;
  method: Method;
  /** A CA certificate chosen in this form, not yet stored. */
  pem: string;
  pemFile: string;
  secret: string;
  headers: Header[];
  events: string[];
  criteria: { require_success: boolean; require_score: boolean; min_score: string; request_schema: string; response_schema: string };
  /** The retry schedule as typed: "2, 4" (retry-schedule.ts). */
  retrySchedule: string;
}

export const emptyForm = (): FormState => ({
  type: "event_notification",
  name: "",
  description: "",
  url: "",
  method: "POST",
  pem: "",
  pemFile: "",
  secret: "",
  headers: [],
  events: [...DEFAULT_EVENTS],
  criteria: { require_success: true, require_score: true, min_score: "0.85", request_schema: "", response_schema: "" },
  retrySchedule: DEFAULT_SCHEDULE_TEXT,
});

const schemaText = (schema: unknown) => (schema === null || schema === undefined ? "" : JSON.stringify(schema, null, 2));

export function formOf(w: Webhook): FormState {
  const c = w.criteria;
  return {
    ...emptyForm(),
    type: w.type,
    name: w.name,
    description: w.description ?? "",
    url: w.url,
    method: w.method,
    headers: w.headers.map((hd) => ({ ...hd })),
    events: [...w.events],
    retrySchedule: scheduleText(w.retry_schedule),
    criteria: c
      ? { require_success: c.require_success, require_score: c.require_score, min_score: String(c.min_score), request_schema: schemaText(c.request_schema), response_schema: schemaText(c.response_schema) }
      : emptyForm().criteria,
  };
}

function parseSchema(text: string, path: string, errors: FieldError[]): unknown {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text);
  } catch (err) {
    errors.push({ path, message: `must be JSON: ${(err as Error).message}` });
    return null;
  }
}

/** The fields both create and edit send; errors that stop the request before it is sent. */
function commonBody(s: FormState): { body: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const body: Record<string, unknown> = {
    name: s.name,
    description: s.description.trim() === "" ? null : s.description,
    url: s.url.trim(),
    method: s.method,
    headers: s.headers.map(({ name, value, enabled }) => ({ name: name.trim(), value, enabled })),
  };
  if (s.secret !== "") body.secret = s.secret;
  if (s.type === "event_notification") {
    body.events = s.events;
    body.retry_schedule = parseSchedule(s.retrySchedule);
  } else {
    const minScore = s.criteria.min_score.trim();
    body.criteria = {
      require_success: s.criteria.require_success,
      require_score: s.criteria.require_score,
      // Sent as typed when it is not a number, so that the API names the field.
      min_score: minScore !== "" && Number.isFinite(Number(minScore)) ? Number(minScore) : minScore,
      request_schema: parseSchema(s.criteria.request_schema, "criteria.request_schema", errors),
      response_schema: parseSchema(s.criteria.response_schema, "criteria.response_schema", errors),
    };
  }
  return { body, errors };
}

export function createBody(s: FormState) {
  const { body, errors } = commonBody(s);
  return { body: { type: s.type, ...body }, errors };
}

export const patchBody = commonBody;
