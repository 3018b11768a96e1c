import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../env";

/** Skeleton: filled in by the storage work of issue 15. */
export class DeliveryLog extends DurableObject<Env> {}
