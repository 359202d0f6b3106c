import assert from "node:assert/strict";
import { ConfigError } from "../config.ts";
import { clientIpFrom, clientIpSource } from "./client_ip.ts";

const req = (headers: Record<string, string> = {}) => new Request("http://x/", { headers });
const env = (vars: Record<string, string>) => (n: string) => vars[n];
const byDefault = clientIpSource(env({}));

Deno.test("by default the client is the last X-Forwarded-For entry, which the edge appended", () => {
  assert.deepEqual(byDefault, { kind: "forwarded-for", trustedHops: 1 });
  assert.equal(clientIpFrom(req({ "x-forwarded-for": "203.0.113.9" }), byDefault), "203.0.113.9");
  // Whatever a client writes to the left of the edge's entry changes nothing.
  const keys = new Set(
    ["1.1.1.1", "2.2.2.2, 3.3.3.3", "unknown", "", "::1"].map((sent) =>
      clientIpFrom(req({ "x-forwarded-for": `${sent}, 198.51.100.7` }), byDefault)
    ),
  );
  assert.deepEqual([...keys], ["198.51.100.7"]);
});

Deno.test("a missing or unreadable address is null, never a bucket everyone would share", () => {
  const unreadable: Record<string, string>[] = [{}, { "x-forwarded-for": "" }, {
    "x-forwarded-for": "1.2.3.4, unknown",
  }];
  for (const headers of unreadable) {
    assert.equal(clientIpFrom(req(headers), byDefault), null, JSON.stringify(headers));
  }
  for (const bad of ["<script>", "1.2.3", "1.2.3.256", "01.2.3.4", "1.2.3.4:80", "1::2::3", "12345::", "g::1"]) {
    assert.equal(clientIpFrom(req({ "x-forwarded-for": bad }), byDefault), null, bad);
  }
  // With two trusted proxies, a header that passed only one of them has no trusted entry.
  const two = clientIpSource(env({ TRUSTED_PROXY_HOPS: "2" }));
  assert.equal(clientIpFrom(req({ "x-forwarded-for": "203.0.113.9" }), two), null);
  assert.equal(clientIpFrom(req({ "x-forwarded-for": "6.6.6.6, 203.0.113.9, 10.0.0.2" }), two), "203.0.113.9");
});

Deno.test("an IPv6 client is keyed by its /64, and an IPv4-mapped one as IPv4", () => {
  const key = (a: string) => clientIpFrom(req({ "x-forwarded-for": a }), byDefault);
  assert.equal(key("2001:DB8:0:1:aaaa::1"), "2001:db8:0:1::/64");
  assert.equal(key("2001:db8:0:1:ffff:ffff:ffff:ffff"), "2001:db8:0:1::/64");
  assert.equal(key("2001:db8::"), "2001:db8:0:0::/64");
  assert.equal(key("::1"), "0:0:0:0::/64");
  assert.equal(key("::ffff:203.0.113.9"), "203.0.113.9");
  assert.equal(key("::ffff:cb00:7109"), "203.0.113.9");
  assert.equal(key("64:ff9b::203.0.113.9"), "64:ff9b:0:0::/64");
});

Deno.test("a header the trusted proxy sets whole can be the source, or none at all", () => {
  const cf = clientIpSource(env({ CLIENT_IP_SOURCE: "CF-Connecting-IP" }));
  assert.deepEqual(cf, { kind: "header", name: "cf-connecting-ip" });
  const both = { "cf-connecting-ip": "203.0.113.9", "x-forwarded-for": "6.6.6.6" };
  assert.equal(clientIpFrom(req(both), cf), "203.0.113.9");
  assert.equal(clientIpFrom(req({ "x-forwarded-for": "6.6.6.6" }), cf), null);
  assert.equal(clientIpFrom(req({ "cf-connecting-ip": "6.6.6.6, 203.0.113.9" }), cf), null);
  const none = clientIpSource(env({ CLIENT_IP_SOURCE: "none" }));
  assert.equal(clientIpFrom(req({ "x-forwarded-for": "203.0.113.9" }), none), null);
});

Deno.test("a bad setting stops start-up with an error naming it", () => {
  for (
    const [vars, message] of [
      [{ TRUSTED_PROXY_HOPS: "0" }, /TRUSTED_PROXY_HOPS must be a positive integer/],
      [{ TRUSTED_PROXY_HOPS: "two" }, /TRUSTED_PROXY_HOPS must be a positive integer/],
      [{ CLIENT_IP_SOURCE: "x-real-ip", TRUSTED_PROXY_HOPS: "2" }, /applies only to CLIENT_IP_SOURCE=x-forwarded-for/],
      [{ CLIENT_IP_SOURCE: "first hop" }, /CLIENT_IP_SOURCE must be x-forwarded-for, none or a header name/],
    ] as const
  ) {
    assert.throws(() => clientIpSource(env(vars)), (e: unknown) => e instanceof ConfigError && message.test(e.message));
  }
});
