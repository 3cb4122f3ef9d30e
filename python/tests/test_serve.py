"""tern.serve, the OpenAI-compatible server, driven by the official `openai` client on
loopback: completions and chat completions, plain and streamed (SSE), the text equal to
tern.generate on the same checkpoint, stop strings, and 4xx JSON errors for bad requests."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

openai = pytest.importorskip("openai")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

import tern  # noqa: E402
from tern import checkpoint as C  # noqa: E402

from _checkpoint import PROMPT  # noqa: E402

NAME = "tiny-hgrn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(released_checkpoint, tern_env):
    _, base, _, _ = released_checkpoint
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tern.serve", base, "--port", str(port),
                             "--model-name", NAME], env=tern_env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # the first start compiles the checkpoint
    while True:
        try:
            urllib.request.urlopen(url + "/v1/models", timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"tern.serve did not start: {proc.stdout.read()}")
            time.sleep(0.3)
    yield url, base
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def client(server):
    url, _ = server
    return openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0, timeout=120)


@pytest.fixture(scope="module")
def reference(server, tern_env):
    """tern.generate over the same compiled checkpoint."""
    _, base = server
    old = os.environ.get("TERN_CACHE_DIR")
    os.environ["TERN_CACHE_DIR"] = tern_env["TERN_CACHE_DIR"]
    try:
        cm = C.load(base, progress=False)
    finally:
        if old is None:
            del os.environ["TERN_CACHE_DIR"]
        else:
            os.environ["TERN_CACHE_DIR"] = old
    return cm


def test_models(client):
    assert [m.id for m in client.models.list().data] == [NAME]


def test_completion_equals_generate(client, reference):
    want = tern.generate(reference, PROMPT, 12)
    r = client.completions.create(model=NAME, prompt=PROMPT, max_tokens=12, temperature=0)
    assert r.choices[0].text == want
    assert r.choices[0].finish_reason in ("length", "stop")
    assert r.usage.prompt_tokens == len(reference.tokenizer.prompt_ids(PROMPT))
    stream = client.completions.create(model=NAME, prompt=PROMPT, max_tokens=12,
                                       temperature=0, stream=True)
    pieces = [c.choices[0].text for c in stream]
    assert len(pieces) > 2 and "".join(pieces) == want


def test_completion_stops_at_eos(client, reference, released_checkpoint):
    """max_tokens beyond the EOS step: the text ends where greedy decoding meets EOS."""
    want = tern.generate(reference, PROMPT, 40)
    assert len(reference.tokenizer.encode(want)) < 40
    r = client.completions.create(model=NAME, prompt=PROMPT, max_tokens=40, temperature=0)
    assert r.choices[0].text == want and r.choices[0].finish_reason == "stop"


def test_stop_string(client, reference):
    full = tern.generate(reference, PROMPT, 12)
    cut = full[3:8]
    r = client.completions.create(model=NAME, prompt=PROMPT, max_tokens=12, temperature=0,
                                  stop=[cut])
    assert r.choices[0].text == full[:full.index(cut)] and r.choices[0].finish_reason == "stop"
    stream = client.completions.create(model=NAME, prompt=PROMPT, max_tokens=12,
                                       temperature=0, stop=cut, stream=True)
    assert "".join(c.choices[0].text for c in stream) == full[:full.index(cut)]


def test_chat_completion(client, reference):
    from tern.serve import ChatMessage, chat_prompt
    msgs = [{"role": "system", "content": "Answer in the words of Genesis."},
            {"role": "user", "content": "What was in the beginning?"}]
    want = tern.generate(reference, chat_prompt([ChatMessage(**m) for m in msgs]), 10)
    r = client.chat.completions.create(model=NAME, messages=msgs, max_tokens=10,
                                       temperature=0)
    assert r.choices[0].message.role == "assistant"
    assert r.choices[0].message.content == want
    stream = client.chat.completions.create(model=NAME, messages=msgs, max_tokens=10,
                                            temperature=0, stream=True)
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == want
    assert chunks[-1].choices[0].finish_reason in ("length", "stop")


def test_sampled_completion_is_seeded(client):
    kw = dict(model=NAME, prompt=PROMPT, max_tokens=10, temperature=0.8, top_p=0.9, seed=5,
              extra_body={"top_k": 40, "repetition_penalty": 1.2})
    assert client.completions.create(**kw).choices[0].text == \
        client.completions.create(**kw).choices[0].text


@pytest.mark.parametrize("kw,status,param", [
    (dict(temperature=-1), 400, None),
    (dict(top_p=0.5, temperature=0), 400, None),
    (dict(max_tokens=-3), 400, "max_tokens"),
    (dict(n=2), 400, "n"),
    (dict(presence_penalty=1.0), 400, "presence_penalty"),
    (dict(model="gpt-4"), 404, "model"),
])
def test_bad_requests_get_json_errors(client, kw, status, param):
    args = dict(model=NAME, prompt=PROMPT, max_tokens=4)
    args.update(kw)
    with pytest.raises(openai.APIStatusError) as info:
        client.completions.create(**args)
    e = info.value
    assert e.status_code == status
    body = e.response.json()
    assert body["error"]["message"] and body["error"]["param"] == param


def test_malformed_bodies(server):
    url, _ = server
    for body in (b"{not json", json.dumps({"model": NAME}).encode(),
                 json.dumps({"model": NAME, "prompt": PROMPT, "max_tokens": "many"}).encode()):
        req = urllib.request.Request(url + "/v1/completions", data=body,
                                     headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=30)
        assert info.value.code == 400
        assert "message" in json.loads(info.value.read())["error"]
