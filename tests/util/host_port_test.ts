// The one `host:port` rule (src/util/host_port.ts): what forwarding and the readiness wait read
// from a TCP exposure's external_endpoint, and the emulator's --service targets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatHostPort, parseHostPort } from "../../src/util/host_port.ts";

test("IPv6 in brackets: the host comes back without them, as a socket takes it", () => {
  assert.deepEqual(parseHostPort("[::1]:2222"), { host: "::1", port: 2222 });
  assert.deepEqual(parseHostPort("[2001:db8::7]:443"), { host: "2001:db8::7", port: 443 });
  assert.equal(formatHostPort({ host: "::1", port: 2222 }), "[::1]:2222");
  assert.equal(formatHostPort(parseHostPort("[::1]:2222")!), "[::1]:2222");
});

test("IPv4, DNS names (with `_`, which the readiness wait always took) and the port range", () => {
  assert.deepEqual(parseHostPort("127.0.0.1:6379"), { host: "127.0.0.1", port: 6379 });
  assert.deepEqual(parseHostPort("tcp-1.example.com:1"), { host: "tcp-1.example.com", port: 1 });
  assert.deepEqual(parseHostPort("tcp_1.example:65535"), { host: "tcp_1.example", port: 65535 });
  assert.equal(formatHostPort({ host: "tcp_1.example", port: 80 }), "tcp_1.example:80");
});

test("anything else is not host:port", () => {
  for (
    const text of [
      "",
      "example.com",
      "example.com:",
      ":22",
      "example.com:0",
      "example.com:65536",
      "example.com:99999",
      "example.com:-1",
      "::1:2222", // IPv6 without brackets
      "[::1]",
      "[example.com]:22",
      "user@example.com:22",
      "example.com/x:22",
      "exa mple.com:22",
      "tcp.example\u001b[31m:22",
      "example.com:22\n",
      " example.com:22",
    ]
  ) {
    assert.equal(parseHostPort(text), undefined, JSON.stringify(text));
  }
  for (const value of [undefined, null, 22, { host: "a", port: 1 }]) {
    assert.equal(parseHostPort(value), undefined);
  }
});
