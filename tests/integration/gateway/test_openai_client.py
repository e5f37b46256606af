"""The official `openai` Python package against the real parley-server and SmolLM2: chat
completions with and without streaming, completions, the model list, and the errors a client
sees (bad key, oversized or unsupported requests, unknown model, rate limits, quotas)."""
import json
import threading
import time
import unittest

import openai

from gateway_server import Server

SHORT = [{"role": "user", "content": "Name one colour."}]


def client(server, key=None, **kwargs):
    return openai.OpenAI(base_url=server.base + "/v1", api_key=key or server.admin_key,
                         max_retries=0, timeout=60, **kwargs)


class OpenAiClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        cls.client = client(cls.server)
        cls.model = cls.client.models.list().data[0].id

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_models_list_names_the_served_model(self):
        models = self.client.models.list().data
        self.assertEqual([m.id for m in models], ["SmolLM2-135M-Instruct.Q4_1"])
        self.assertEqual(models[0].object, "model")

    def test_chat_completion_reports_usage(self):
        answer = self.client.chat.completions.create(model=self.model, messages=SHORT,
                                                     max_tokens=12)
        choice = answer.choices[0]
        self.assertEqual(choice.message.role, "assistant")
        self.assertTrue(choice.message.content.strip())
        self.assertIn(choice.finish_reason, ("stop", "length"))
        self.assertGreater(answer.usage.prompt_tokens, 5)
        self.assertTrue(1 <= answer.usage.completion_tokens <= 12)
        self.assertEqual(answer.usage.total_tokens,
                         answer.usage.prompt_tokens + answer.usage.completion_tokens)
        self.assertTrue(answer.id.startswith("chatcmpl-"))

    def test_auto_model_and_max_completion_tokens(self):
        answer = self.client.chat.completions.create(model="auto", messages=SHORT,
                                                     max_completion_tokens=3)
        self.assertEqual(answer.model, self.model)
        self.assertLessEqual(answer.usage.completion_tokens, 3)

    def test_greedy_answers_repeat_and_stop_cuts(self):
        first = self.client.chat.completions.create(model=self.model, messages=SHORT,
                                                    max_tokens=16, temperature=0)
        second = self.client.chat.completions.create(model=self.model, messages=SHORT,
                                                     max_tokens=16, temperature=0)
        self.assertEqual(first.choices[0].message.content, second.choices[0].message.content)
        words = first.choices[0].message.content.split()
        if len(words) > 1:
            cut = self.client.chat.completions.create(model=self.model, messages=SHORT,
                                                      max_tokens=16, temperature=0,
                                                      stop=[" " + words[1]])
            self.assertNotIn(words[1], cut.choices[0].message.content)
            self.assertEqual(cut.choices[0].finish_reason, "stop")

    def test_seeded_sampling_is_reproducible(self):
        params = dict(model=self.model, messages=SHORT, max_tokens=10, temperature=1.2,
                      top_p=0.9, seed=1234, presence_penalty=0.5, frequency_penalty=0.5)
        a = self.client.chat.completions.create(**params).choices[0].message.content
        b = self.client.chat.completions.create(**params).choices[0].message.content
        self.assertEqual(a, b)

    def test_logit_bias_forces_a_token(self):
        # +100 on one token makes greedy decoding repeat it; without the bias the same three
        # pieces in a row would be a coincidence.
        bias = {"1000": 100}
        one = self.client.completions.create(model=self.model, prompt="Hello", max_tokens=1,
                                             temperature=0, logit_bias=bias).choices[0].text
        three = self.client.completions.create(model=self.model, prompt="Hello", max_tokens=3,
                                               temperature=0, logit_bias=bias).choices[0].text
        self.assertTrue(one)
        self.assertEqual(three, one * 3)
        with self.assertRaises(openai.BadRequestError) as caught:
            self.client.completions.create(model=self.model, prompt="Hello", max_tokens=1,
                                           logit_bias={"99999999": 5})
        self.assertEqual(caught.exception.param, "logit_bias")

    def test_streaming_with_usage(self):
        stream = self.client.chat.completions.create(
            model=self.model, messages=SHORT, max_tokens=12, stream=True,
            stream_options={"include_usage": True}, temperature=0)
        chunks = list(stream)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        finish = [c.choices[0].finish_reason for c in chunks if c.choices and
                  c.choices[0].finish_reason]
        self.assertTrue(text.strip())
        self.assertEqual(len(finish), 1)
        self.assertIsNone(chunks[-2].usage if len(chunks) > 1 else None)
        self.assertIsNotNone(chunks[-1].usage)
        self.assertEqual(chunks[-1].choices, [])
        whole = self.client.chat.completions.create(model=self.model, messages=SHORT,
                                                    max_tokens=12, temperature=0)
        self.assertEqual(text, whole.choices[0].message.content)
        self.assertEqual(chunks[-1].usage.completion_tokens, whole.usage.completion_tokens)

    def test_completions(self):
        answer = self.client.completions.create(model=self.model,
                                                prompt="The capital of France is",
                                                max_tokens=4, temperature=0)
        self.assertEqual(answer.object, "text_completion")
        self.assertTrue(answer.choices[0].text)
        self.assertLessEqual(answer.usage.completion_tokens, 4)
        stream = self.client.completions.create(model=self.model,
                                                prompt="The capital of France is",
                                                max_tokens=4, temperature=0, stream=True)
        self.assertEqual("".join(c.choices[0].text for c in stream), answer.choices[0].text)

    def test_bad_key_is_an_authentication_error(self):
        bad = client(self.server, key="parley-not-a-real-key-000000000000000000000000")
        with self.assertRaises(openai.AuthenticationError) as caught:
            bad.models.list()
        self.assertEqual(caught.exception.status_code, 401)
        with self.assertRaises(openai.AuthenticationError):
            bad.chat.completions.create(model=self.model, messages=SHORT)

    def test_oversized_message_is_a_bad_request(self):
        with self.assertRaises(openai.BadRequestError) as caught:
            self.client.chat.completions.create(
                model=self.model, messages=[{"role": "user", "content": "x" * 40000}])
        self.assertEqual(caught.exception.code, "string_above_max_length")

    def test_huge_body_is_a_bad_request(self):
        # Above the 1 MiB body limit: refused from the Content-Length, before it is read.
        with self.assertRaises(openai.APIStatusError) as caught:
            self.client.chat.completions.create(
                model=self.model, messages=[{"role": "user", "content": "y" * 30000}] * 40)
        self.assertEqual(caught.exception.status_code, 413)

    def test_unsupported_parameters_are_refused(self):
        for extra in ({"tools": [{"type": "function", "function": {"name": "f"}}]},
                      {"response_format": {"type": "json_object"}}, {"logprobs": True}):
            with self.assertRaises(openai.BadRequestError) as caught:
                self.client.chat.completions.create(model=self.model, messages=SHORT,
                                                    extra_body=extra)
            self.assertEqual(caught.exception.code, "unsupported_parameter")
            self.assertEqual(caught.exception.param, next(iter(extra)))
        with self.assertRaises(openai.BadRequestError) as caught:
            self.client.chat.completions.create(model=self.model, messages=SHORT, n=2)
        with self.assertRaises(openai.BadRequestError) as caught:
            self.client.chat.completions.create(model=self.model, messages=SHORT,
                                                temperature=3)
        self.assertEqual(caught.exception.param, "temperature")

    def test_unknown_model_is_not_found(self):
        with self.assertRaises(openai.NotFoundError) as caught:
            self.client.chat.completions.create(model="gpt-4o", messages=SHORT)
        self.assertEqual(caught.exception.code, "model_not_found")

    def test_disconnect_cancels_the_engine_request(self):
        def aborted():
            status, _, body = self.server.request("GET", "/metrics")
            self.assertEqual(status, 200)
            for line in body.decode().splitlines():
                if line.startswith("parley:request_success_total") and 'reason="abort"' in line:
                    return float(line.rsplit(" ", 1)[1])
            return 0.0

        before = aborted()
        stream = self.client.chat.completions.create(
            model=self.model, messages=[{"role": "user", "content": "Write a long story."}],
            max_tokens=2000, stream=True, temperature=0.8, logit_bias={"2": -100})
        for i, _ in enumerate(stream):
            if i == 3:
                break
        stream.close()
        deadline = time.time() + 10
        while aborted() <= before and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(aborted(), before + 1)


class LimitsTest(unittest.TestCase):
    def test_rate_limit_answers_429_with_retry_after(self):
        server = Server("--rate-limit", "3", "--rate-burst", "3")
        try:
            c = client(server)
            for _ in range(3):
                c.models.list()
            with self.assertRaises(openai.RateLimitError) as caught:
                c.models.list()
            headers = caught.exception.response.headers
            self.assertGreaterEqual(int(headers["retry-after"]), 1)
            self.assertEqual(headers["x-ratelimit-limit-requests"], "3")
            self.assertEqual(headers["x-ratelimit-remaining-requests"], "0")
        finally:
            server.stop()

    def test_concurrent_stream_quota(self):
        server = Server("--max-streams-per-user", "1")
        try:
            c = client(server)
            stream = c.chat.completions.create(
                model="auto", messages=[{"role": "user", "content": "Tell a long story."}],
                max_tokens=400, stream=True, logit_bias={"2": -100})
            next(iter(stream))
            with self.assertRaises(openai.RateLimitError) as caught:
                c.chat.completions.create(model="auto", messages=SHORT, max_tokens=2)
            self.assertEqual(caught.exception.code, "too_many_concurrent_streams")
            stream.close()
            deadline = time.time() + 10
            while True:
                try:
                    c.chat.completions.create(model="auto", messages=SHORT, max_tokens=2)
                    break
                except openai.RateLimitError:
                    self.assertLess(time.time(), deadline, "the slot was never given back")
                    time.sleep(0.1)
        finally:
            server.stop()

    def test_daily_token_quota(self):
        server = Server("--daily-token-quota", "30")
        try:
            c = client(server)
            first = c.chat.completions.create(model="auto", messages=SHORT, max_tokens=10)
            self.assertGreater(first.usage.total_tokens, 30)
            with self.assertRaises(openai.RateLimitError) as caught:
                c.chat.completions.create(model="auto", messages=SHORT, max_tokens=10)
            self.assertEqual(caught.exception.code, "daily_token_quota_exceeded")
            self.assertGreater(int(caught.exception.response.headers["retry-after"]), 0)
            status, _, body = server.request("GET", "/v1/me")
            self.assertEqual(json.loads(body)["tokens_today"], first.usage.total_tokens)
        finally:
            server.stop()

    def test_sigterm_lets_an_open_stream_finish(self):
        server = Server("--shutdown-grace-ms", "20000")
        c = client(server)
        stream = c.chat.completions.create(
            model="auto", messages=[{"role": "user", "content": "Count to twenty."}],
            max_tokens=60, stream=True, stream_options={"include_usage": True})
        chunks = [next(iter(stream))]
        server.proc.send_signal(15)
        chunks += list(stream)
        self.assertIsNotNone(chunks[-1].usage)
        self.assertEqual(server.proc.wait(30), 0)
        server.stop()

    def test_sigterm_ends_a_stream_cleanly_after_the_grace(self):
        server = Server("--shutdown-grace-ms", "1000")
        c = client(server)
        stream = c.chat.completions.create(
            model="auto", messages=[{"role": "user", "content": "Write a long story."}],
            max_tokens=3000, stream=True, logit_bias={"2": -100})
        next(iter(stream))
        server.proc.send_signal(15)
        with self.assertRaises(openai.APIError) as caught:
            list(stream)
        self.assertIn("shutting down", str(caught.exception))
        self.assertEqual(server.proc.wait(30), 0)
        server.stop()


if __name__ == "__main__":
    unittest.main()
