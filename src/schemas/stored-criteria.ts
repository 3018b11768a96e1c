import type { Criteria } from "./webhook";

const CRITERIA_DEFAULTS: Criteria = { require_success: true, require_score: true, min_score: 0.85, request_schema: null, response_schema: null };

/**
 * Criteria as stored, read leniently: what was valid when it was saved stays usable after the
 * input schema tightens (re-parsing with it would turn the row into a 500 on every check).
 * Unknown keys are ignored; a missing or mistyped setting takes the product's default. Stored
 * JSON Schemas are kept as they are: one the validator cannot use is a 422 naming it, never a
 * silently dropped check.
 */
export function readStoredCriteria(stored: unknown): Criteria {
  let raw: unknown = stored;
  try {
    if (typeof stored === "string") raw = JSON.parse(stored);
  } catch {
    raw = null; // unreadable: the defaults, below
  }
  const s = (typeof raw === "object" && raw !== null && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  const flag = (v: unknown, d: boolean) => (typeof v === "boolean" ? v : d);
  const schema = (v: unknown) => (v === undefined ? null : (v as Criteria["request_schema"]));
  return {
    require_success: flag(s.require_success, CRITERIA_DEFAULTS.require_success),
    require_score: flag(s.require_score, CRITERIA_DEFAULTS.require_score),
    min_score: typeof s.min_score === "number" && Number.isFinite(s.min_score) ? s.min_score : CRITERIA_DEFAULTS.min_score,
    request_schema: schema(s.request_schema),
    response_schema: schema(s.response_schema),
  };
}
