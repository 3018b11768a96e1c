import { describe, expect, it } from "vitest";
import { buildRequest } from "../src/delivery/build-request";
import { Signer } from "../src/delivery/sign";
import { utf8 } from "../src/lib/encoding";
import { activate, createOrganisation, createWebhook, ingest, waitFor } from "./helpers/api";
import { bucket, received, receiverUrl, verifyAtReceiver } from "./helpers/receivers";

/** Expected values computed independently with Python's hmac module. */
const VECTORS: [secret: string, body: string, hex: string][] = [
  // GitHub's published example (X-Hub-Signature-256 of "Hello, World!").
  ["It's a Secret to Everybody", "Hello, World!", "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"],
  [
    "sk_webhook_abc123xyz789",
    '{"event":"verification.completed","event_id":"evt_abc123","timestamp":"2026-01-28T10:30:00Z","organisation_id":18,"data":{"verification_id":"ver_xyz789","status":"success","confidence":0.87}}',
    "a3d0e85c10cb133d55922a09d6319532b48404382cd46f8e633ec4f35aa8a300",
  ],
  // A whsec_ secret signs X-Nafsi-Signature with its whole UTF-8 string, prefix included.
  ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", '{"test": 2432232314}', "80ec8a89ce3cd22133a1066caecb4d04fea7467657c8514d717ec42c38a5c94c"],
  ["pässwörd-ünïcode-sécret", '{"name":"JOHN KAMAU DOE","emoji":"✓"}', "cbfc1f5c42975b8e3c1f3665355f646a871408b3a4e874fcf100fb531c00b477"],
  ["0123456789abcdef", "", "496dc93fa2d26eae500ec0bc37a122706b88f8963cebf0899d0245fae313e241"],
];

describe("signature known answers", () => {
  it.each(VECTORS)("X-Nafsi-Signature with secret %j", async (secret, body, hex) => {
    expect(await new Signer().nafsiSignature(secret, utf8.encode(body))).toBe(`sha256=${hex}`);
  });

  it("matches the Standard Webhooks specification's example", async () => {
    const sig = await new Signer().standardSignature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}');
    expect(sig).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("signs exactly the bytes it sends", async () => {
    const body = '{"a":"ü","b":1}';
    const req = await buildRequest(new Signer(), {
      url: "https://example.com/hook", method: "POST", secret: "sk_webhook_abc123xyz789", customHeaders: [],
      webhookId: "wh_1", deliveryId: "dlv_1", event: "workflow.created", body,
    });
    expect(new TextDecoder().decode(req.body)).toBe(body);
    expect(req.headers.get("X-Nafsi-Signature")).toBe(await new Signer().nafsiSignature("sk_webhook_abc123xyz789", utf8.encode(body)));
  });
});

describe("independent verifiers on the raw received bytes", () => {
  it.each(["sk_webhook_abc123xyz789", "pässwörd-ünïcode-sécret-long", "whsec_" + btoa("thirty-two-bytes-of-secret-key!!")])(
    "Node and Python accept a real delivery signed with %j",
    async (secret) => {
      const org = await createOrganisation();
      const b = bucket("sig");
      const wh = await createWebhook(org.api_key, { url: receiverUrl("http", b), secret, events: ["workflow.created"] });
      await activate(org.api_key, wh.id);
      await ingest({ event: "workflow.created", organisation_id: org.id, data: { name: "JOHN KAMAU DOE", note: "naïve café ✓", n: 1.5 } });
      await waitFor(async () => ((await received(b)).length ? true : undefined));
      const v = await verifyAtReceiver(b, 0, secret);
      expect(v).toMatchObject({ node: true, python: true, doc: true });
      if (secret.startsWith("whsec_")) expect(v.standard).toBe(true);
    },
  );
});
