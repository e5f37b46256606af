"""The seed's conversation API over HTTP with curl, against the real parley-server and the real
SmolLM2 model: create, send, stream (SSE) and read back; resume after a dropped connection with
Last-Event-ID; cancel; idempotent resend; list, rename, delete, search; edit and regenerate;
files; and another member's ids answering 404."""
import json
import subprocess
import tempfile
import unittest
import uuid

from conversation_client import Curl, Server, make_member

LONG_PROMPT = "Write a long story about a dragon who learns to bake bread."


class SeedApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Rate limiting has its own tests; here a fast run must not use up the per-IP allowance.
        cls.server = Server("--rate-limit", "100000", "--rate-burst", "100000")
        cls.alice = Curl(cls.server, make_member(cls.server, "alice"))
        cls.bob = Curl(cls.server, make_member(cls.server, "bob"))

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        assert code == 0, f"parley-server exited with {code}"

    def conversation(self, who=None, title="test"):
        status, body = (who or self.alice).call("POST", "/v1/conversations", {"title": title})
        self.assertEqual(status, 201, body)
        self.assertTrue(body["conversation_id"])
        self.assertGreater(body["created_at"], 0)
        return body["conversation_id"]

    def send(self, conversation_id, content, max_tokens=8, message_id=None, who=None):
        body = {"message_id": message_id or str(uuid.uuid4()), "role": "user",
                "content": content, "max_tokens": max_tokens, "temperature": 0}
        status, answer = (who or self.alice).call(
            "POST", f"/v1/conversations/{conversation_id}/messages", body)
        self.assertEqual(status, 202, answer)
        self.assertTrue(answer["accepted"])
        return answer

    def assertWellFormedStream(self, events):
        self.assertTrue(events, "no events")
        self.assertEqual([e["id"] for e in events], list(range(1, len(events) + 1)))
        self.assertTrue(all(e["event"] == "token" for e in events[:-1]), events)
        self.assertIn(events[-1]["event"], ("done", "error"))

    def view(self, conversation_id, who=None):
        status, body = (who or self.alice).call("GET", f"/v1/conversations/{conversation_id}")
        self.assertEqual(status, 200, body)
        return body

    def test_send_streams_tokens_and_the_answer_is_stored(self):
        cid = self.conversation()
        started = self.send(cid, "Say hello.")
        status, events = self.alice.stream(started["stream_id"])
        self.assertEqual(status, 200)
        self.assertWellFormedStream(events)
        done = events[-1]
        self.assertEqual(done["event"], "done")
        self.assertEqual(done["data"]["status"], "complete")
        self.assertIn(done["data"]["finish_reason"], ("stop", "length"))
        self.assertGreater(done["data"]["usage"]["prompt_tokens"], 0)
        self.assertLessEqual(done["data"]["usage"]["completion_tokens"], 8)
        text = "".join(e["data"]["text"] for e in events[:-1])

        view = self.view(cid)
        self.assertEqual([m["role"] for m in view["messages"]], ["user", "assistant"])
        answer = view["messages"][1]
        self.assertEqual(answer["message_id"], started["assistant_message_id"])
        self.assertEqual(answer["content"], text)
        self.assertEqual(answer["status"], "complete")
        self.assertEqual(answer["usage"]["completion_tokens"],
                         done["data"]["usage"]["completion_tokens"])
        self.assertIsNotNone(answer["timings"]["ttft_ms"])
        self.assertEqual(view["model"], started["model"])
        self.assertEqual(answer["branch"], {"index": 0, "count": 1,
                                            "sibling_ids": [answer["message_id"]]})

    def test_resume_after_a_dropped_connection_with_last_event_id(self):
        cid = self.conversation()
        started = self.send(cid, LONG_PROMPT, max_tokens=40)
        reader = self.alice.open_stream(started["stream_id"])
        first = [reader.next_event(), reader.next_event()]
        self.assertTrue(all(e and e["event"] == "token" for e in first), first)
        reader.drop()  # the client vanishes mid-answer; the answer must go on

        status, rest = self.alice.stream(started["stream_id"], last_event_id=first[-1]["id"])
        self.assertEqual(status, 200)
        self.assertEqual(rest[0]["id"], first[-1]["id"] + 1)
        self.assertWellFormedStream(first + rest)
        self.assertEqual(rest[-1]["data"]["status"], "complete")
        text = "".join(e["data"].get("text", "") for e in first + rest)
        self.assertEqual(self.view(cid)["messages"][1]["content"], text)

        # The same resume works through the query parameter, and from any point.
        status, tail = self.alice.stream(started["stream_id"] + f"?last_event_id={len(first + rest) - 1}")
        self.assertEqual(status, 200)
        self.assertEqual([e["event"] for e in tail], ["done"])
        status, body = self.alice.call("GET", f"/v1/streams/{started['stream_id']}",
                                       extra=["-H", "Last-Event-ID: -3"])
        self.assertEqual(status, 400, body)

    def test_cancel_ends_the_stream_and_keeps_the_partial_answer(self):
        cid = self.conversation()
        started = self.send(cid, LONG_PROMPT, max_tokens=300)
        reader = self.alice.open_stream(started["stream_id"])
        received = [reader.next_event()]
        self.assertEqual(received[0]["event"], "token")
        status, body = self.alice.call("POST", f"/v1/streams/{started['stream_id']}/cancel")
        self.assertEqual(status, 200, body)
        self.assertTrue(body["cancelled"])
        while received[-1]["event"] == "token":
            event = reader.next_event()
            self.assertIsNotNone(event, "the stream did not end after cancel")
            received.append(event)
        reader.drop()
        self.assertWellFormedStream(received)
        self.assertEqual(received[-1]["data"]["status"], "cancelled")
        self.assertEqual(received[-1]["data"]["finish_reason"], "cancelled")
        self.assertLess(received[-1]["data"]["usage"]["completion_tokens"], 300)
        answer = self.view(cid)["messages"][1]
        self.assertEqual(answer["status"], "cancelled")
        self.assertEqual(answer["content"], "".join(e["data"].get("text", "") for e in received))
        status, body = self.alice.call("POST", f"/v1/streams/{started['stream_id']}/cancel")
        self.assertEqual(status, 409, body)

    def test_repeated_message_id_is_idempotent(self):
        cid = self.conversation()
        message_id = str(uuid.uuid4())
        first = self.send(cid, "Name a colour.", message_id=message_id)
        again = self.send(cid, "Name a colour.", message_id=message_id)
        self.assertEqual(again["stream_id"], first["stream_id"])
        self.assertEqual(again["assistant_message_id"], first["assistant_message_id"])
        status, events = self.alice.stream(first["stream_id"])
        self.assertWellFormedStream(events)
        third = self.send(cid, "Name a colour.", message_id=message_id)
        self.assertEqual(third["stream_id"], first["stream_id"])
        self.assertEqual([m["role"] for m in self.view(cid)["messages"]], ["user", "assistant"])

    def test_list_rename_pin_search_delete(self):
        cid = self.conversation(title="zebra notes")
        other = self.conversation(title="other")
        started = self.send(cid, "Tell me about the quagga zebra.", max_tokens=4)
        self.alice.stream(started["stream_id"])

        status, body = self.alice.call("PATCH", f"/v1/conversations/{cid}",
                                       {"title": "Zebras", "pinned": True})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["title"], "Zebras")
        self.assertTrue(body["pinned"])
        status, body = self.alice.call("PATCH", f"/v1/conversations/{cid}", {"owner": "bob"})
        self.assertEqual((status, body["error"]["code"]), (400, "unknown_parameter"))
        status, listing = self.alice.call("GET", "/v1/conversations")
        self.assertEqual(status, 200, listing)
        ids = [c["conversation_id"] for c in listing["data"]]
        self.assertEqual(ids[0], cid)  # pinned first
        self.assertIn(other, ids)

        status, hits = self.alice.call("GET", "/v1/search?q=quagga")
        self.assertEqual(status, 200, hits)
        self.assertIn(cid, [h["conversation_id"] for h in hits["data"]])
        status, hits = self.bob.call("GET", "/v1/search?q=quagga")
        self.assertEqual((status, hits["data"]), (200, []))

        status, body = self.alice.call("DELETE", f"/v1/conversations/{other}")
        self.assertEqual(status, 200, body)
        self.assertEqual(self.alice.call("GET", f"/v1/conversations/{other}")[0], 404)
        status, listing = self.alice.call("GET", "/v1/conversations")
        self.assertNotIn(other, [c["conversation_id"] for c in listing["data"]])

    def test_edit_and_regenerate_make_branches(self):
        cid = self.conversation()
        first = self.send(cid, "Say one word.", max_tokens=4)
        self.alice.stream(first["stream_id"])

        status, again = self.alice.call(
            "POST", f"/v1/messages/{first['assistant_message_id']}/regenerate",
            {"max_tokens": 4, "temperature": 0.9, "seed": 7})
        self.assertEqual(status, 202, again)
        self.assertNotEqual(again["stream_id"], first["stream_id"])
        self.assertWellFormedStream(self.alice.stream(again["stream_id"])[1])
        answer = self.view(cid)["messages"][1]
        self.assertEqual(answer["message_id"], again["assistant_message_id"])
        self.assertEqual(answer["branch"]["count"], 2)
        self.assertEqual(answer["branch"]["index"], 1)

        status, edited = self.alice.call("POST", f"/v1/messages/{first['user_message_id']}/edit",
                                         {"content": "Say two words.", "max_tokens": 4})
        self.assertEqual(status, 202, edited)
        self.assertWellFormedStream(self.alice.stream(edited["stream_id"])[1])
        messages = self.view(cid)["messages"]
        self.assertEqual(messages[0]["content"], "Say two words.")
        self.assertEqual(messages[0]["branch"]["count"], 2)

        status, switched = self.alice.call(
            "POST", f"/v1/messages/{first['user_message_id']}/switch")
        self.assertEqual(status, 200, switched)
        self.assertEqual(switched["messages"][0]["content"], "Say one word.")

    def test_files_are_stored_and_owner_checked(self):
        with tempfile.NamedTemporaryFile("wb", suffix=".txt") as f:
            f.write("Notes about pelicans.\n".encode())
            f.flush()
            status, stored = self.alice.call("POST", "/v1/files",
                                             extra=["-F", f"file=@{f.name};type=text/plain",
                                                    "-F", "purpose=assistants"])
        self.assertEqual(status, 201, stored)
        self.assertEqual(stored["bytes"], 22)
        self.assertEqual(stored["purpose"], "assistants")
        self.assertTrue(stored["id"].startswith("file-"))
        blobs = list((self.server.data_dir / "files" / "blobs").iterdir())
        self.assertIn(stored["sha256"], [b.name for b in blobs])

        status, content = self.alice.call("GET", f"/v1/files/{stored['id']}/content")
        self.assertEqual((status, content), (200, "Notes about pelicans.\n"))
        status, listing = self.alice.call("GET", "/v1/files")
        self.assertIn(stored["id"], [x["id"] for x in listing["data"]])

        for method, path in (("GET", f"/v1/files/{stored['id']}"),
                             ("GET", f"/v1/files/{stored['id']}/content"),
                             ("DELETE", f"/v1/files/{stored['id']}")):
            self.assertEqual(self.bob.call(method, path)[0], 404, (method, path))
        self.assertEqual(self.bob.call("GET", "/v1/files")[1]["data"], [])

        big = subprocess.run(
            self.alice.args("POST", "/v1/files?filename=big.bin", "-w", "%{http_code}", "-o",
                            "/dev/null", "-H", "Content-Type: application/octet-stream",
                            "--data-binary", "@-"),
            input=b"x" * (2 << 20), capture_output=True, timeout=60)
        self.assertEqual(big.stdout, b"413")

        status, body = self.alice.call("DELETE", f"/v1/files/{stored['id']}")
        self.assertEqual(status, 200, body)
        self.assertEqual(self.alice.call("GET", f"/v1/files/{stored['id']}")[0], 404)

    def test_another_members_ids_answer_404_and_change_nothing(self):
        cid = self.conversation()
        started = self.send(cid, "My secret word is xyzzy.", max_tokens=4)
        self.alice.stream(started["stream_id"])
        running = self.send(cid, LONG_PROMPT, max_tokens=60)

        attempts = [
            ("GET", f"/v1/conversations/{cid}", None),
            ("PATCH", f"/v1/conversations/{cid}", {"title": "mine now"}),
            ("DELETE", f"/v1/conversations/{cid}", None),
            ("POST", f"/v1/conversations/{cid}/messages",
             {"message_id": "x", "role": "user", "content": "hi", "max_tokens": 2}),
            ("GET", f"/v1/streams/{running['stream_id']}", None),
            ("POST", f"/v1/streams/{running['stream_id']}/cancel", None),
            ("POST", f"/v1/messages/{started['assistant_message_id']}/regenerate", {}),
            ("POST", f"/v1/messages/{started['user_message_id']}/edit", {"content": "x"}),
            ("POST", f"/v1/messages/{started['user_message_id']}/switch", None),
            ("GET", f"/v1/messages/{started['assistant_message_id']}/context", None),
        ]
        for method, path, body in attempts:
            status, answer = self.bob.call(method, path, body)
            self.assertEqual(status, 404, (method, path, answer))
            self.assertEqual(answer["error"]["code"], "not_found")
            self.assertNotIn("xyzzy", str(answer))

        status, events = self.alice.stream(running["stream_id"])
        self.assertEqual(events[-1]["data"]["status"], "complete")  # bob's cancel did nothing
        view = self.view(cid)
        self.assertEqual(view["title"], "test")
        self.assertEqual(len(view["messages"]), 4)

    def test_concurrent_stream_quota_answers_429_before_the_engine(self):
        admin = Curl(self.server, self.server.admin_key)
        status, user = admin.call("POST", "/v1/admin/users",
                                  {"name": "carol", "role": "member", "max_concurrent_streams": 2})
        self.assertEqual(status, 201, user)
        status, key = admin.call("POST", f"/v1/admin/users/{user['id']}/api_keys", {})
        carol = Curl(self.server, key["key"])
        cid = self.conversation(carol)
        running = [self.send(cid, LONG_PROMPT, max_tokens=300, who=carol) for _ in range(2)]
        body = json.dumps({"message_id": "third", "role": "user", "content": "hi",
                           "max_tokens": 2})
        status, headers, answer = self.server.request(
            "POST", f"/v1/conversations/{cid}/messages", body, key=key["key"])
        self.assertEqual(status, 429, answer)
        self.assertEqual(json.loads(answer)["error"]["code"], "too_many_concurrent_streams")
        self.assertIn("retry-after", headers)
        for started in running:
            self.assertEqual(carol.call("POST", f"/v1/streams/{started['stream_id']}/cancel")[0],
                             200)
            carol.stream(started["stream_id"])
        self.send(cid, "hi", max_tokens=2, who=carol)  # the slots came back

    def test_bad_requests_are_clear_400s(self):
        cid = self.conversation()
        for body, code in (({"role": "user", "content": ""}, "invalid_request"),
                           ({"role": "assistant", "content": "hi"}, "invalid_role"),
                           ({"content": "hi", "max_tokens": "ten"}, "invalid_request"),
                           ({"content": "x" * 40000}, "message_too_long")):
            status, answer = self.alice.call("POST", f"/v1/conversations/{cid}/messages", body)
            self.assertEqual(status, 400, answer)
            self.assertEqual(answer["error"]["code"], code, answer)
        self.assertEqual(self.view(cid)["messages"], [])
        status, answer = self.alice.call("POST", f"/v1/conversations/{cid}/messages",
                                         extra=["--data-binary", "{not json"])
        self.assertEqual(status, 400, answer)
        status, _ = Curl(self.server, "wrong-key").call("GET", "/v1/conversations")
        self.assertEqual(status, 401)


if __name__ == "__main__":
    unittest.main()
