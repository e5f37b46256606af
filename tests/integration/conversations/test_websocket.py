"""The WebSocket channel (GET /v1/ws) with the Python `websockets` client, against the real
parley-server and the real SmolLM2 model: operations with request ids, streamed token events,
resume after a dropped connection, cancel, bad messages, and another member's ids."""
import asyncio
import json
import unittest

import websockets

from conversation_client import Curl, Server, make_member

LONG_PROMPT = "Write a long story about a dragon who learns to bake bread."


class Channel:
    """One WebSocket connection: call() sends an operation and waits for its reply; the events
    that arrive meanwhile are kept in order."""

    def __init__(self, ws):
        self.ws = ws
        self.events = []
        self.next_id = 0

    async def receive(self):
        message = json.loads(await asyncio.wait_for(self.ws.recv(), 60))
        if message["type"] == "event":
            self.events.append(message)
        return message

    async def call(self, type_, **args):
        self.next_id += 1
        request_id = f"r{self.next_id}"
        await self.ws.send(json.dumps({"type": type_, "request_id": request_id, **args}))
        while True:
            message = await self.receive()
            if message["type"] != "event" and message.get("request_id") == request_id:
                return message

    async def until_end(self, stream_id):
        while not any(e["data"]["stream_id"] == stream_id and e["event"] != "token"
                      for e in self.events):
            await self.receive()
        return [e for e in self.events if e["data"]["stream_id"] == stream_id]


class WebSocketTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        cls.alice = make_member(cls.server, "alice")
        cls.bob = make_member(cls.server, "bob")
        cls.url = cls.server.base.replace("http://", "ws://") + "/v1/ws"

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        assert code == 0, f"parley-server exited with {code}"

    def connect(self, key):
        return websockets.connect(self.url, additional_headers={"Authorization": f"Bearer {key}"})

    def run_async(self, coroutine):
        return asyncio.run(asyncio.wait_for(coroutine, 120))

    def assertWellFormedStream(self, events):
        self.assertEqual([e["id"] for e in events], list(range(1, len(events) + 1)))
        self.assertTrue(all(e["event"] == "token" for e in events[:-1]), events)
        self.assertIn(events[-1]["event"], ("done", "error"))

    async def new_conversation(self, channel):
        reply = await channel.call("create_conversation", title="ws")
        self.assertEqual((reply["ok"], reply["status"]), (True, 201), reply)
        return reply["result"]["conversation_id"]

    def test_send_streams_events_after_the_reply(self):
        async def scenario():
            async with self.connect(self.alice) as ws:
                channel = Channel(ws)
                cid = await self.new_conversation(channel)
                reply = await channel.call("send_message", conversation_id=cid, content="Hi!",
                                           message_id="m1", max_tokens=8, temperature=0)
                self.assertEqual((reply["ok"], reply["status"]), (True, 202), reply)
                self.assertEqual(channel.events, [])  # the reply comes before any event
                events = await channel.until_end(reply["result"]["stream_id"])
                self.assertWellFormedStream(events)
                self.assertEqual(events[-1]["event"], "done")
                self.assertEqual(events[-1]["data"]["status"], "complete")
                view = await channel.call("get_conversation", conversation_id=cid)
                answer = view["result"]["messages"][1]
                self.assertEqual(answer["content"],
                                 "".join(e["data"].get("text", "") for e in events))
                again = await channel.call("send_message", conversation_id=cid, content="Hi!",
                                           message_id="m1", max_tokens=8)
                self.assertEqual(again["result"]["stream_id"], reply["result"]["stream_id"])
                listing = await channel.call("list_conversations")
                self.assertIn(cid, [c["conversation_id"] for c in listing["result"]["data"]])
                pong = await channel.call("ping")
                self.assertEqual(pong["type"], "pong")
                self.assertEqual(self.metric("parley_ws_connections"), 1)
        sends = self.metric('parley_ws_messages_total{type="send_message"}')
        timed = self.metric('parley_ws_operation_seconds_count{type="send_message"}')
        self.run_async(scenario())
        self.assertEqual(self.metric('parley_ws_messages_total{type="send_message"}'), sends + 2)
        self.assertEqual(self.metric('parley_ws_operation_seconds_count{type="send_message"}'),
                         timed + 2)

    def metric(self, series):
        """The value of one series on GET /metrics (0 when it is not there yet)."""
        status, text = Curl(self.server, self.server.admin_key).call("GET", "/metrics")
        self.assertEqual(status, 200)
        for line in text.splitlines():
            if line.startswith(series + " "):
                return float(line.split(" ")[1])
        return 0

    def test_resume_after_a_dropped_connection(self):
        async def scenario():
            async with self.connect(self.alice) as ws:
                channel = Channel(ws)
                cid = await self.new_conversation(channel)
                reply = await channel.call("send_message", conversation_id=cid,
                                           content=LONG_PROMPT, max_tokens=40, temperature=0)
                stream_id = reply["result"]["stream_id"]
                while len(channel.events) < 2:
                    await channel.receive()
                first = channel.events[:2]
            # The connection is gone; the answer goes on. A new connection resumes after id 2.
            async with self.connect(self.alice) as ws:
                channel = Channel(ws)
                resumed = await channel.call("resume", stream_id=stream_id, after=2)
                self.assertTrue(resumed["ok"], resumed)
                rest = await channel.until_end(stream_id)
                self.assertEqual(rest[0]["id"], 3)
                self.assertWellFormedStream(first + rest)
                self.assertEqual(rest[-1]["data"]["status"], "complete")
                view = await channel.call("get_conversation", conversation_id=cid)
                self.assertEqual(view["result"]["messages"][1]["content"],
                                 "".join(e["data"].get("text", "") for e in first + rest))
        self.run_async(scenario())

    def test_cancel_stops_the_answer(self):
        async def scenario():
            async with self.connect(self.alice) as ws:
                channel = Channel(ws)
                cid = await self.new_conversation(channel)
                reply = await channel.call("send_message", conversation_id=cid,
                                           content=LONG_PROMPT, max_tokens=300)
                stream_id = reply["result"]["stream_id"]
                while not channel.events:
                    await channel.receive()
                cancelled = await channel.call("cancel_stream", stream_id=stream_id)
                self.assertTrue(cancelled["ok"], cancelled)
                events = await channel.until_end(stream_id)
                self.assertWellFormedStream(events)
                self.assertEqual(events[-1]["data"]["status"], "cancelled")
                self.assertLess(events[-1]["data"]["usage"]["completion_tokens"], 300)
        self.run_async(scenario())

    def test_bad_messages_get_error_replies_and_the_connection_stays(self):
        async def scenario():
            async with self.connect(self.alice) as ws:
                channel = Channel(ws)
                await ws.send("{not json")
                reply = await channel.receive()
                self.assertEqual((reply["type"], reply["status"]), ("reply", 400), reply)
                reply = await channel.call("no_such_operation")
                self.assertEqual(reply["error"]["code"], "unknown_type")
                reply = await channel.call("send_message", conversation_id="x")
                self.assertEqual(reply["status"], 400)
                self.assertIn("content", reply["error"]["message"])
                await self.new_conversation(channel)  # still serving
        self.run_async(scenario())

    def test_another_members_ids_are_not_found(self):
        async def scenario():
            async with self.connect(self.alice) as ws:
                alice = Channel(ws)
                cid = await self.new_conversation(alice)
                reply = await alice.call("send_message", conversation_id=cid,
                                         content="My secret is 42.", max_tokens=30)
                stream_id = reply["result"]["stream_id"]
                async with self.connect(self.bob) as ws2:
                    bob = Channel(ws2)
                    for type_, args in (("get_conversation", {"conversation_id": cid}),
                                        ("resume", {"stream_id": stream_id, "after": 0}),
                                        ("cancel_stream", {"stream_id": stream_id}),
                                        ("delete_conversation", {"conversation_id": cid})):
                        answer = await bob.call(type_, **args)
                        self.assertEqual(answer["status"], 404, (type_, answer))
                    self.assertEqual(bob.events, [])
                events = await alice.until_end(stream_id)
                self.assertEqual(events[-1]["data"]["status"], "complete")
        self.run_async(scenario())

    def test_no_key_no_connection(self):
        async def scenario():
            with self.assertRaises(websockets.exceptions.InvalidStatus) as caught:
                async with websockets.connect(self.url):
                    pass
            self.assertEqual(caught.exception.response.status_code, 401)
        self.run_async(scenario())


if __name__ == "__main__":
    unittest.main()
