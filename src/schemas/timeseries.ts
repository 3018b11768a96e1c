import { z } from "zod";
import { BUCKET_MS, MAX_BUCKETS, type BucketName } from "../stats/timeseries";
import { ExportIn } from "./logs";

const BUCKETS = Object.keys(BUCKET_MS) as [BucketName, ...BucketName[]];

/** GET /v1/webhooks/{id}/stats/timeseries */
export const TimeseriesQuery = z.strictObject({
  bucket: z.enum(BUCKETS, { error: "must be minute, hour or day" }).default("hour").describe("Bucket length; buckets are aligned to UTC"),
  // The log's own date rules: a bare date, or a date-time with a zone.
  from: ExportIn.shape.from.describe(`Start; defaults to 60 minutes, 24 hours or 30 days before to. At most ${MAX_BUCKETS} buckets`),
  to: ExportIn.shape.to.describe("End (inclusive); defaults to now"),
});

export const TimeseriesPoint = z.object({
  t: z.string().describe("Start of the bucket"),
  success: z.number().int(),
  failed: z.number().int(),
  median_response_time_ms: z
    .number()
    .nullable()
    .describe("Estimated from fixed latency buckets, as the statistics' median (src/stats/read-stats.ts gives its error); null when the bucket has no response times"),
});

export const TimeseriesOut = z.object({ data: z.array(TimeseriesPoint) });
export type TimeseriesOut = z.infer<typeof TimeseriesOut>;
