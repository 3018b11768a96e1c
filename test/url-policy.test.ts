/**
 * Known answers for the URL policy (src/security/url-policy.ts), production rules unless said.
 * Every spelling the WHATWG URL parser accepts for a forbidden host must be refused.
 */
import { describe, expect, it } from "vitest";
import { checkWebhookUrl, MAX_URL_LENGTH } from "../src/security/url-policy";

const prod = { allowLocal: false };
const dev = { allowLocal: true };

const ALLOWED = [
  "https://api.myapp.com/webhooks/nafsi",
  "https://API.MyApp.com:8443/hook?x=1#frag",
  "https://example.com./trailing-dot-is-fine-for-public-names",
  "https://8.8.8.8/",
  "https://134744072/", // 8.8.8.8 in decimal: public, so allowed however it is spelled
  "https://[2606:4700:4700::1111]/",
  "https://[::ffff:8.8.8.8]/", // IPv4-mapped public address
  "https://[64:ff9b::808:808]/", // NAT64 of 8.8.8.8
  "https://xn--bcher-kva.example/", // IDN
  "https://100.63.255.255/", // just below carrier-grade NAT
  "https://100.128.0.0/", // just above it
  "https://172.32.0.1/", // just above 172.16/12
  // Private-use names only as the top-level name: elsewhere they are public labels.
  "https://corp.example.com/", "https://home.example.org/", "https://lan.party.com/", "https://private.example/",
  "https://intranet.acme.com/", "https://x.plan/", "https://my.homes/", "https://a.corporate/", "https://internal.example.com/",
  "https://" + "a".repeat(MAX_URL_LENGTH - "https://.com".length) + ".com",
];

/** [url, why] — each must be refused in production. */
const REFUSED: [string, RegExp][] = [
  // loopback, every spelling
  ["https://127.0.0.1/", /private, loopback/],
  ["https://2130706433/", /loopback/], // decimal
  ["https://0177.0.0.1/", /loopback/], // octal
  ["https://00000177.0.0.1/", /loopback/], // octal, padded
  ["https://0x7f.0.0.1/", /loopback/], // hex octet
  ["https://0x7f000001/", /loopback/], // hex whole
  ["https://127.1/", /loopback/], // short form
  ["https://0x7f.1/", /loopback/], // short hex
  ["https://127.0.0.0x1/", /loopback/], // mixed
  ["https://127.0.0.1./", /loopback/], // trailing dot
  ["https://１２７.０.０.１/", /loopback/], // full-width digits (IDNA maps them)
  ["https://127.255.255.254/", /loopback/],
  ["https://[::1]/", /loopback/],
  ["https://[0:0:0:0:0:0:0:1]/", /loopback/],
  ["https://[::ffff:127.0.0.1]/", /loopback/], // IPv4-mapped
  ["https://[::ffff:7f00:1]/", /loopback/], // IPv4-mapped, hex
  ["https://[0:0:0:0:0:ffff:7f00:1]/", /loopback/],
  ["https://[::127.0.0.1]/", /loopback/], // IPv4-compatible (deprecated)
  ["https://[::ffff:0:7f00:1]/", /loopback/], // IPv4-translated
  ["https://[64:ff9b::7f00:1]/", /loopback/], // NAT64 of loopback
  ["https://[2002:7f00:1::]/", /loopback/], // 6to4 of loopback
  // unspecified / this network
  ["https://0.0.0.0/", /private/],
  ["https://0/", /private/],
  ["https://[::]/", /private/],
  // private
  ["https://10.0.0.1/", /private/],
  ["https://10.1/", /private/], // short form of 10.0.0.1
  ["https://167772161/", /private/], // 10.0.0.1 in decimal
  ["https://172.16.0.1/", /private/],
  ["https://172.31.255.255/", /private/],
  ["https://192.168.1.1/", /private/],
  ["https://0xc0.0xa8.1.1/", /private/],
  ["https://[::ffff:192.168.1.1]/", /private/],
  ["https://[fc00::1]/", /private/], // unique local
  ["https://[fd12:3456::1]/", /private/],
  // link-local and cloud metadata
  ["https://169.254.169.254/latest/meta-data/", /link-local/],
  ["https://2852039166/", /link-local/], // 169.254.169.254 in decimal
  ["https://0xa9fea9fe/", /link-local/], // … in hex
  ["https://0251.0376.0251.0376/", /link-local/], // … in octal
  ["https://169.254.169.254./", /link-local/],
  ["https://[::ffff:169.254.169.254]/", /link-local/],
  ["https://[::ffff:a9fe:a9fe]/", /link-local/],
  ["https://[fd00:ec2::254]/", /private/], // AWS metadata over IPv6
  ["https://100.100.100.200/", /shared/], // Alibaba metadata (carrier-grade NAT space)
  ["https://192.0.0.192/", /reserved/], // Oracle metadata
  ["https://168.63.129.16/", /metadata/], // Azure platform endpoint
  ["https://metadata.google.internal/", /internal/],
  ["https://[fe80::1]/", /link-local/],
  ["https://[febf::1]/", /link-local/],
  // carrier-grade NAT
  ["https://100.64.0.1/", /shared/],
  ["https://100.127.255.255/", /shared/],
  // multicast, reserved, broadcast, documentation, benchmarking
  ["https://224.0.0.1/", /multicast/],
  ["https://239.255.255.250/", /multicast/],
  ["https://[ff02::1]/", /multicast/],
  ["https://240.0.0.1/", /reserved/],
  ["https://255.255.255.255/", /reserved/],
  ["https://4294967295/", /reserved/],
  ["https://192.0.2.1/", /reserved/],
  ["https://198.51.100.7/", /reserved/],
  ["https://203.0.113.9/", /reserved/],
  ["https://198.18.0.1/", /reserved/],
  ["https://[2001:db8::1]/", /reserved/],
  ["https://[3fff::1]/", /reserved/],
  ["https://[2001::1]/", /reserved/], // Teredo
  ["https://[100::1]/", /reserved/], // discard
  ["https://[64:ff9b:1::1]/", /reserved/], // local-use NAT64
  ["https://[fec0::1]/", /reserved/], // site-local
  // local and internal names, every spelling
  ["https://localhost/", /local or internal host/],
  ["https://LOCALHOST/", /local or internal host/],
  ["https://localhost./", /local or internal host/],
  ["https://localhost../", /local or internal host/],
  ["https://%6c%6fcalhost/", /local or internal host/], // percent-encoded
  ["https://ⓛocalhost/", /local or internal host/], // IDNA-mapped
  ["https://app.localhost/", /local or internal host/],
  ["https://printer.local/", /local or internal host/],
  ["https://PRINTER.LOCAL./", /local or internal host/],
  ["https://db.internal/", /local or internal host/],
  ["https://a.b.internal./", /local or internal host/],
  ["https://intranet/", /fully qualified/],
  // RFC 6762 Appendix G private-use top-level names, in any case, with trailing dots, mapped by IDNA
  ...[".intranet", ".internal", ".private", ".corp", ".home", ".lan"].flatMap((tld): [string, RegExp][] => [
    [`https://wiki${tld}/`, /local or internal host/],
    [`https://a.b${tld.toUpperCase()}./`, /local or internal host/],
    [`https://Nas.${tld[1]!.toUpperCase()}${tld.slice(2)}../hook`, /local or internal host/],
    [`https://x${tld}:8443/`, /local or internal host/],
  ]),
  ["https://git.ｃｏｒｐ/", /local or internal host/], // full-width, which IDNA maps to .corp
  ["https://git.c%6frp/", /local or internal host/], // percent-encoded
  ["https://corp/", /fully qualified/],
  // scheme, shape, length, user info
  ["http://api.myapp.com/", /https/],
  ["ftp://api.myapp.com/", /https/],
  ["javascript:alert(1)", /https/],
  ["//api.myapp.com/", /absolute URL/],
  ["not a url", /spaces or control/],
  ["https://", /absolute URL/],
  ["https://1.2.3.4.5/", /absolute URL/],
  ["https://0x100000000/", /absolute URL/],
  ["https://user:pw@api.myapp.com/", /user information/],
  ["https://user@api.myapp.com/", /user information/],
  ["https://api.myapp.com:443@127.0.0.1/", /user information/],
  [" https://api.myapp.com/", /spaces or control/],
  ["https://api.my\napp.com/", /spaces or control/],
  ["https://api.myapp.com/\t", /spaces or control/],
  ["https://" + "a".repeat(MAX_URL_LENGTH) + ".com", /at most 2048/],
];

describe("url policy (production)", () => {
  it.each(ALLOWED)("allows %s", (url) => {
    expect(checkWebhookUrl(url, prod)).toBeNull();
  });

  it.each(REFUSED)("refuses %s", (url, why) => {
    expect(checkWebhookUrl(url, prod)).toMatch(why);
  });

  it("refuses the local receivers that development allows", () => {
    for (const url of ["http://localhost:8080/hook", "http://127.0.0.1:9000/", "https://localhost:8443/"]) {
      expect(checkWebhookUrl(url, prod), url).not.toBeNull();
    }
  });
});

describe("url policy (local development)", () => {
  it.each(["http://localhost:8080/hook", "http://127.0.0.1:9000/", "https://localhost:8443/", "http://localhost/"])("allows %s", (url) => {
    expect(checkWebhookUrl(url, dev)).toBeNull();
  });

  // Only those two names: everything else stays refused, local development or not.
  it.each([
    ["http://10.0.0.1/", /https/],
    ["https://10.0.0.1/", /private/],
    ["https://169.254.169.254/", /link-local/],
    ["http://[::1]:8080/", /https/],
    ["https://[::1]:8080/", /loopback/],
    ["https://app.localhost/", /local or internal/],
    ["https://wiki.intranet/", /local or internal/],
    ["http://nas.home:8080/", /https/],
    ["https://nas.HOME./", /local or internal/],
    ["https://git.corp/", /local or internal/],
    ["ftp://localhost/", /https/],
    ["http://user@localhost:8080/", /user information/],
  ])("still refuses %s", (url, why) => {
    expect(checkWebhookUrl(url, dev)).toMatch(why);
  });
});
