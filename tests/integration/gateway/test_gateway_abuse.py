"""Hostile and careless clients against the real parley-server: malformed JSON, invalid UTF-8,
huge bodies and headers, slow clients, wrong Host and Origin headers, missing, wrong and
expired credentials, a member reaching for admin-only routes. Each gets a clear 4xx in OpenAI's
error shape, and the server keeps serving afterwards."""
import json
import socket
import time
import unittest

from gateway_server import ADMIN_KEY, Server, read_response


class GatewayAbuseTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("--session-ttl", "2", "--client-timeout-ms", "1500")

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        assert code == 0, f"parley-server exited with {code}"

    def tearDown(self):
        # Whatever the test sent, the server still answers a real request.
        status, _, body = self.server.request(
            "POST", "/v1/chat/completions",
            json.dumps({"model": "auto", "max_tokens": 2,
                        "messages": [{"role": "user", "content": "hi"}]}))
        self.assertEqual(status, 200, body)

    def assertApiError(self, response, status, code):
        got_status, headers, body = response
        self.assertEqual(got_status, status, body)
        self.assertTrue(headers.get("content-type", "").startswith("application/json"))
        error = json.loads(body)["error"]
        self.assertEqual(error["code"], code, body)
        self.assertTrue(error["message"])
        self.assertIn("type", error)
        return error

    def post_chat(self, body: bytes, **kwargs):
        return self.server.request("POST", "/v1/chat/completions", body,
                                   {"Content-Type": "application/json"}, **kwargs)

    def test_malformed_json(self):
        for body in (b'{"model": "auto", "messages": [', b"null", b"[1, 2]", b"", b"{'a': 1}"):
            error = self.assertApiError(self.post_chat(body), 400, "invalid_json")
            self.assertEqual(error["type"], "invalid_request_error")

    def test_invalid_utf8(self):
        body = b'{"model": "auto", "messages": [{"role": "user", "content": "\xff\xfe bad"}]}'
        self.assertApiError(self.post_chat(body), 400, "invalid_utf8")

    def test_wrong_field_types(self):
        cases = [({"model": "auto", "messages": "hi"}, "messages"),
                 ({"model": 5, "messages": [{"role": "user", "content": "a"}]}, "model"),
                 ({"model": "auto", "messages": [{"role": "wizard", "content": "a"}]},
                  "messages[0].role"),
                 ({"model": "auto", "messages": [{"role": "user", "content": "a"}],
                   "max_tokens": -3}, "max_tokens"),
                 ({"model": "auto", "messages": [{"role": "user", "content": "a"}],
                   "stream_options": {"include_usage": True}}, "stream_options")]
        for body, param in cases:
            status, _, raw = self.post_chat(json.dumps(body).encode())
            self.assertEqual(status, 400, raw)
            self.assertEqual(json.loads(raw)["error"]["param"], param, raw)

    def test_huge_body_is_refused_before_it_is_read(self):
        head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{self.server.port}\r\n"
                f"Authorization: Bearer {ADMIN_KEY}\r\nContent-Length: {1 << 30}\r\n\r\n")
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(head.encode() + b"x" * 1000)
            answer = s.recv(65536)
        self.assertTrue(answer.startswith(b"HTTP/1.1 413 "), answer[:100])
        self.assertIn(b"request_too_large", answer)

    def test_body_just_over_the_limit_is_read_and_refused(self):
        body = b"z" * (1024 * 1024 + 1)
        self.assertApiError(self.post_chat(body), 413, "request_too_large")

    def test_huge_headers(self):
        head = (f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Junk: {'a' * 20000}\r\n\r\n")
        answer = self.server.raw(head.encode())
        self.assertTrue(answer.startswith(b"HTTP/1.1 431 "), answer[:100])
        many = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(
            f"X-{i}: 1\r\n" for i in range(200)) + "\r\n"
        self.assertTrue(self.server.raw(many.encode()).startswith(b"HTTP/1.1 431 "))

    def test_malformed_request_lines(self):
        for line in (b"GARBAGE\r\n\r\n", b"GET nothing HTTP/1.1\r\nHost: x\r\n\r\n",
                     b"GET / HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n",
                     b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: 1\r\n\r\n",
                     b"POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                     b"POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello"):
            answer = self.server.raw(line)
            self.assertRegex(answer[:12], rb"HTTP/1\.1 4\d\d|HTTP/1\.1 505", line)

    def test_slow_client_is_cut_off(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers never end
            started = time.time()
            answer = s.recv(65536)
            self.assertLess(time.time() - started, 5)
        self.assertTrue(answer.startswith(b"HTTP/1.1 408 "), answer[:100])
        head = (f"POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {ADMIN_KEY}\r\nContent-Length: 100\r\n\r\n{{")
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(head.encode())  # the body never completes
            self.assertTrue(s.recv(65536).startswith(b"HTTP/1.1 408 "))

    def test_wrong_host_header(self):
        for host in ("evil.example", "evil.example:8080", "", ":8080", "localhost.evil.example",
                     "127.0.0.1.nip.io", "[::2]:80"):
            headers = {"Host": host}
            self.assertApiError(self.server.request("GET", "/v1/models", headers=headers), 403,
                                "host_not_allowed")
        no_host = (f"GET /v1/models HTTP/1.1\r\nAuthorization: Bearer {ADMIN_KEY}\r\n"
                   "Connection: close\r\n\r\n")
        self.assertTrue(self.server.raw(no_host.encode()).startswith(b"HTTP/1.1 403 "))
        for host in ("localhost", "LOCALHOST:1", "127.0.0.1", "localhost."):
            status, _, _ = self.server.request("GET", "/v1/models", headers={"Host": host})
            self.assertEqual(status, 200, host)

    def test_foreign_origin_and_no_wildcard_cors(self):
        self.assertApiError(
            self.server.request("GET", "/v1/models", headers={"Origin": "https://evil.example"}),
            403, "origin_not_allowed")
        self.assertApiError(
            self.server.request("OPTIONS", "/v1/chat/completions",
                                headers={"Origin": "https://evil.example",
                                         "Access-Control-Request-Method": "POST"}, key=""),
            403, "origin_not_allowed")
        # A simple-request CSRF: text/plain POST from a page.
        self.assertApiError(
            self.server.request("POST", "/v1/admin/users", b'{"name":"x"}',
                                headers={"Origin": "http://localhost:3000",
                                         "Content-Type": "text/plain"}),
            403, "origin_not_allowed")
        status, headers, _ = self.server.request("GET", "/v1/models")
        self.assertEqual(status, 200)
        self.assertNotIn("access-control-allow-origin", headers)

    def test_missing_and_wrong_credentials(self):
        self.assertApiError(self.server.request("GET", "/v1/models", key=""), 401,
                            "missing_credentials")
        for key in ("nope", "parley-" + "A" * 43, ADMIN_KEY + "x", ADMIN_KEY[:-1]):
            error = self.assertApiError(self.server.request("GET", "/v1/models", key=key), 401,
                                        "invalid_api_key")
            self.assertEqual(error["type"], "authentication_error")
        self.assertApiError(self.server.request(
            "GET", "/v1/models", headers={"Authorization": "Basic YWRtaW46YWRtaW4="}, key=""),
            401, "missing_credentials")
        # x-api-key is the same credential as Authorization: Bearer.
        status, _, _ = self.server.request("GET", "/v1/models", headers={"x-api-key": ADMIN_KEY},
                                           key="")
        self.assertEqual(status, 200)

    def make_member(self, login, password=None):
        body = {"name": login, "login": login, "role": "member"}
        if password:
            body["password"] = password
        status, _, raw = self.server.request("POST", "/v1/admin/users", json.dumps(body))
        self.assertEqual(status, 201, raw)
        user = json.loads(raw)
        status, _, raw = self.server.request("POST", f"/v1/admin/users/{user['id']}/api_keys",
                                             json.dumps({"name": "test"}))
        self.assertEqual(status, 201, raw)
        key = json.loads(raw)
        self.assertTrue(key["key"].startswith(key["prefix"]))
        return user, key

    def test_member_cannot_use_admin_routes(self):
        user, key = self.make_member("member-a")
        for method, path, body in (("GET", "/v1/admin/users", None),
                                   ("POST", "/v1/admin/users", '{"name": "evil"}'),
                                   ("GET", f"/v1/admin/users/{user['id']}/api_keys", None),
                                   ("GET", "/metrics", None),
                                   ("GET", f"/v1/admin/usage?user_id={user['id']}", None)):
            error = self.assertApiError(self.server.request(method, path, body, key=key["key"]),
                                        403, "admin_only")
            self.assertEqual(error["type"], "permission_error")
        status, _, raw = self.server.request("GET", "/v1/me", key=key["key"])
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(raw)["role"], "member")
        # Keys are listed by prefix only; the secret is never shown again.
        status, _, raw = self.server.request("GET", f"/v1/admin/users/{user['id']}/api_keys")
        self.assertNotIn(key["key"], raw.decode())
        # A revoked key stops working at once.
        status, _, _ = self.server.request(
            "DELETE", f"/v1/admin/users/{user['id']}/api_keys/{key['id']}")
        self.assertEqual(status, 200)
        self.assertApiError(self.server.request("GET", "/v1/me", key=key["key"]), 401,
                            "invalid_api_key")

    def test_login_session_and_expiry(self):
        self.make_member("member-b", password="correct horse battery")
        bad = self.server.request("POST", "/v1/auth/login",
                                  json.dumps({"login": "member-b", "password": "wrong pass"}),
                                  key="")
        self.assertApiError(bad, 401, "invalid_credentials")
        unknown = self.server.request("POST", "/v1/auth/login",
                                      json.dumps({"login": "nobody", "password": "whatever1"}),
                                      key="")
        self.assertApiError(unknown, 401, "invalid_credentials")
        status, _, raw = self.server.request(
            "POST", "/v1/auth/login",
            json.dumps({"login": "member-b", "password": "correct horse battery"}), key="")
        self.assertEqual(status, 200, raw)
        token = json.loads(raw)["token"]
        status, _, raw = self.server.request("GET", "/v1/me", key=token)
        self.assertEqual(status, 200, raw)
        self.assertEqual(json.loads(raw)["name"], "member-b")
        time.sleep(2.2)  # the server runs with --session-ttl 2
        self.assertApiError(self.server.request("GET", "/v1/me", key=token), 401,
                            "session_expired")

    def test_logout_ends_the_session(self):
        self.make_member("member-c", password="another good one")
        status, _, raw = self.server.request(
            "POST", "/v1/auth/login",
            json.dumps({"login": "member-c", "password": "another good one"}), key="")
        token = json.loads(raw)["token"]
        status, _, _ = self.server.request("POST", "/v1/auth/logout", key=token)
        self.assertEqual(status, 200)
        self.assertApiError(self.server.request("GET", "/v1/me", key=token), 401,
                            "invalid_session")

    def test_keep_alive_and_http10_streams(self):
        # Two requests on one kept-alive connection, then an HTTP/1.0 stream: raw body, no
        # chunked framing, ended by closing.
        request = (f"GET /v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   f"Authorization: Bearer {ADMIN_KEY}\r\n\r\n").encode()
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            for _ in range(2):
                s.sendall(request)
                answer = read_response(s)
                self.assertTrue(answer.startswith(b"HTTP/1.1 200 "), answer[:100])
                self.assertIn(b"connection: keep-alive", answer)
        body = json.dumps({"model": "auto", "max_tokens": 3, "stream": True,
                           "messages": [{"role": "user", "content": "hi"}]})
        head = (f"POST /v1/chat/completions HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {ADMIN_KEY}\r\nContent-Length: {len(body)}\r\n\r\n")
        answer = self.server.raw(head.encode() + body.encode())
        head, _, stream = answer.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200 "), head)
        self.assertNotIn(b"transfer-encoding", head.lower())
        self.assertTrue(stream.startswith(b"data: {"), stream[:40])
        self.assertTrue(stream.endswith(b"data: [DONE]\n\n"), stream[-40:])

    def test_unknown_routes_and_methods(self):
        self.assertApiError(self.server.request("GET", "/v1/nothing"), 404, "not_found")
        self.assertApiError(self.server.request("DELETE", "/v1/models"), 405,
                            "method_not_allowed")
        self.assertApiError(self.server.request("GET", "/v1/%ff%fe"), 400, "malformed_path")

    def test_every_request_is_in_the_usage_ledger(self):
        user, key = self.make_member("member-d")
        status, _, raw = self.server.request(
            "POST", "/v1/chat/completions",
            json.dumps({"model": "auto", "max_tokens": 3,
                        "messages": [{"role": "user", "content": "hi"}]}), key=key["key"])
        self.assertEqual(status, 200, raw)
        usage = json.loads(raw)["usage"]
        self.server.request("GET", "/v1/nothing", key=key["key"])
        status, _, raw = self.server.request("GET", f"/v1/admin/usage?user_id={user['id']}")
        rows = json.loads(raw)["data"]
        chat = [r for r in rows if r["route"] == "/v1/chat/completions"]
        self.assertEqual(len(chat), 1)
        self.assertEqual(chat[0]["prompt_tokens"], usage["prompt_tokens"])
        self.assertEqual(chat[0]["completion_tokens"], usage["completion_tokens"])
        self.assertEqual(chat[0]["model"], "SmolLM2-135M-Instruct.Q4_1")
        self.assertEqual(chat[0]["api_key_id"], key["id"])
        self.assertTrue(any(r["status"] == 404 for r in rows))


class BootstrapTest(unittest.TestCase):
    def test_generated_key_is_printed_once_and_stored_0600(self):
        server = Server(bootstrap_key=None)
        try:
            key_file = server.data_dir / "bootstrap-admin-key"
            key = key_file.read_text().strip()
            self.assertEqual(key_file.stat().st_mode & 0o777, 0o600)
            self.assertTrue(key.startswith("parley-"))
            self.assertIn(key, "".join(server.output))
            server.admin_key = key
            status, _, raw = server.request("GET", "/v1/admin/users")
            self.assertEqual(status, 200, raw)
            self.assertEqual([u["role"] for u in json.loads(raw)["data"]], ["admin"])
        finally:
            server.stop()

    def test_environment_variable_sets_the_key(self):
        env_key = "parley-from-the-environment-0123456789abcdef"
        server = Server(bootstrap_key=None, env={"PARLEY_BOOTSTRAP_API_KEY": env_key})
        try:
            self.assertFalse((server.data_dir / "bootstrap-admin-key").exists())
            server.admin_key = env_key
            status, _, _ = server.request("GET", "/v1/me")
            self.assertEqual(status, 200)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
