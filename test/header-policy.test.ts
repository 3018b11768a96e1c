/** Known answers for the custom-header policy (src/security/header-policy.ts). */
import { describe, expect, it } from "vitest";
import {
  checkHeaderName,
  checkHeaderValue,
  isCredentialHeader,
  isMaskedValue,
  maskValue,
  MAX_HEADER_NAME_LENGTH,
  MAX_HEADER_VALUE_BYTES,
  restoreMaskedHeaders,
} from "../src/security/header-policy";

describe("header names", () => {
  it.each([
    "X-Custom-Header", "X-API-Version", "Authorization", "x-correlation-id", "A", "X_Under_Score", "!#$%&'*+-.^_`|~09az",
    "X".repeat(MAX_HEADER_NAME_LENGTH), "X-Proxy-Id", "Proxy", "Proxyish-Name", // only the Proxy- prefix is for proxies
  ])("allows %s", (name) => {
    expect(checkHeaderName(name)).toBeNull();
  });

  it.each([
    ["", /token/],
    ["X Custom", /token/],
    ["X-Custom:", /token/],
    ["X-Custom\r\nX-Injected", /token/],
    ["(comment)", /token/],
    ["X-Ünicode", /token/],
    ["X-Tab\t", /token/],
    ["\"quoted\"", /token/],
  ])("refuses %j, not a token", (name, why) => {
    expect(checkHeaderName(name)).toMatch(why);
  });

  it.each([
    ["X".repeat(MAX_HEADER_NAME_LENGTH + 1)],
    ["X-" + "a".repeat(10 * 1024)], // 10 KB
    ["X ".repeat(200)], // too long and not a token: the length is named first
  ])("refuses a name over %#: at most 256 characters", (name) => {
    expect(MAX_HEADER_NAME_LENGTH).toBe(256);
    expect(checkHeaderName(name)).toBe("must be at most 256 characters");
  });

  it.each(["Proxy-Authorization", "proxy-authorization", "PROXY-AUTHORIZATION", "Proxy-Connection", "proxy-CONNECTION", "Proxy-Authenticate", "Proxy-Status", "Proxy-X"])(
    "refuses %s, which is meant for proxies",
    (name) => {
      expect(checkHeaderName(name)).toMatch(/meant for proxies/);
    },
  );

  // Names we own or that break HTTP, in any letter case.
  it.each([
    "Host", "HOST", "host", "Content-Length", "content-LENGTH", "Transfer-Encoding", "TRANSFER-ENCODING",
    "Connection", "connection", "Content-Type", "CONTENT-TYPE", "User-Agent", "user-agent",
    "X-Nafsi-Signature", "x-nafsi-event", "X-NAFSI-anything", "webhook-id", "Webhook-Signature", "WEBHOOK-TIMESTAMP",
    "CF-Connecting-IP", "cf-ray", "Cf-Worker", "X-Forwarded-For", "x-forwarded-host", "X-FORWARDED-PROTO",
    "X-Webhook-ID", "x-delivery-id", "Keep-Alive", "Upgrade", "TE", "Trailer", "Expect", "Forwarded",
  ])("refuses %s, which the service sets or HTTP needs", (name) => {
    expect(checkHeaderName(name)).toMatch(/set by the webhook service/);
  });
});

describe("header values", () => {
  it.each(["MyValue", "v1", "Bearer token123", "", "a\tb", "x".repeat(MAX_HEADER_VALUE_BYTES), "••••1234", "••••", " !~ "])("allows %j", (value) => {
    expect(checkHeaderValue(value)).toBeNull();
  });

  it.each([
    ["a\rb", /CR, LF or NUL/],
    ["a\nb", /CR, LF or NUL/],
    ["a\r\nX-Injected: 1", /CR, LF or NUL/],
    ["a\0b", /CR, LF or NUL/],
    ["a\u0007b", /control/],
    ["a\u007fb", /control/],
    ["x".repeat(MAX_HEADER_VALUE_BYTES + 1), /at most 4096 bytes/],
    ["é".repeat(MAX_HEADER_VALUE_BYTES / 2 + 1), /at most 4096 bytes/], // bytes, not characters
    ["café", /printable ASCII/], // workerd would send UTF-8 bytes that receivers read differently
    ["price €5", /printable ASCII/],
    ["emoji 🚀", /printable ASCII/],
    ["••••12345", /printable ASCII/], // longer than any mask: not a masked value
    ["Bearer ••••", /printable ASCII/], // a mask must be the whole value
  ])("refuses %j", (value, why) => {
    expect(checkHeaderValue(value)).toMatch(why);
  });
});

describe("credential headers", () => {
  it.each(["Authorization", "authorization", "Proxy-Authorization", "Cookie", "X-API-Key", "x-api-key", "Api-Key", "X-Auth-Token", "X-Access-Token", "X-Client-Secret", "X-Webhook-Password", "X-Apikey", "X_API_KEY", "Key", "Token", "X-Nafsi-Signature", "X-Nafsi-Signature-Next"])("%s is masked", (name) => {
    expect(isCredentialHeader(name)).toBe(true);
  });

  it.each(["X-Custom-Header", "X-API-Version", "X-Keyboard", "X-Tokens-Used", "X-Secretary", "Accept", "X-Next", "X-Signature-Nextday"])("%s is shown", (name) => {
    expect(isCredentialHeader(name)).toBe(false);
  });

  it("masks to the last 4 characters, or nothing for short values", () => {
    expect(maskValue("Bearer token123")).toBe("••••n123");
    expect(maskValue("12345678")).toBe("••••");
    expect(maskValue("123456789012")).toBe("••••");
    expect(maskValue("1234567890123")).toBe("••••0123");
    expect(isMaskedValue(maskValue("Bearer token123"))).toBe(true);
    expect(isMaskedValue("••••")).toBe(true);
    expect(isMaskedValue("Bearer ••••")).toBe(false);
  });
});

describe("restoring masked values", () => {
  const stored = [
    { name: "Authorization", value: "Bearer token123" },
    { name: "X-Api-Key", value: "short" },
    { name: "X-Custom", value: "MyValue" },
  ];

  it("puts back the stored value of a credential header sent back masked, in any letter case", () => {
    const sent = [
      { name: "authorization", value: "••••n123", enabled: true },
      { name: "X-API-KEY", value: "••••", enabled: false },
      { name: "X-Custom", value: "changed", enabled: true },
    ];
    expect(restoreMaskedHeaders(sent, stored)).toEqual({
      headers: [
        { name: "authorization", value: "Bearer token123", enabled: true },
        { name: "X-API-KEY", value: "short", enabled: false },
        { name: "X-Custom", value: "changed", enabled: true },
      ],
    });
  });

  it("keeps a new real value as sent", () => {
    expect(restoreMaskedHeaders([{ name: "Authorization", value: "Bearer new" }], stored)).toEqual({ headers: [{ name: "Authorization", value: "Bearer new" }] });
  });

  it.each([
    [[{ name: "Authorization", value: "••••9999" }], 0], // mask of another value
    [[{ name: "X-Custom", value: "ok" }, { name: "X-Other-Key", value: "••••" }], 1], // no stored header of that name
    [[{ name: "X-Custom", value: "••••" }], 0], // stored, but not a credential header: nothing was masked
  ])("refuses a masked value that stands for nothing stored (%j)", (sent, index) => {
    expect(restoreMaskedHeaders(sent, stored)).toEqual({ unmatched: index });
  });

  it("refuses any masked value when nothing is stored (a new webhook)", () => {
    expect(restoreMaskedHeaders([{ name: "Authorization", value: "••••" }], [])).toEqual({ unmatched: 0 });
  });
});
