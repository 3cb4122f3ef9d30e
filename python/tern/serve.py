"""An OpenAI-compatible HTTP server for one compiled model (FastAPI + uvicorn).

    python -m tern.serve CKPT_DIR|MODEL.so [--host 127.0.0.1] [--port 8000]

Endpoints: ``GET /v1/models``, ``POST /v1/completions`` and ``POST /v1/chat/completions``
(``stream: true`` answers with server-sent events, ``data: {...}`` chunks then
``data: [DONE]``).  One model per process; requests are served one at a time (a lock around
generation), which matches a decode step that uses every core.

Sampling fields: ``max_tokens`` (default 16), ``temperature`` (default 1, as OpenAI; 0 is
greedy), ``top_p``, ``seed``, ``stop`` (strings), and the extensions ``top_k`` and
``repetition_penalty``.  ``n`` must be 1; ``frequency_penalty``/``presence_penalty``/``logprobs``
other than their defaults are refused (400), as are bad values.  Chat messages are joined as
``"{role}: {content}\\n"`` lines followed by ``"assistant:"`` (the released MMfreeLM models are
base models with no chat template).  Errors use OpenAI's shape
``{"error": {"message", "type", "param", "code"}}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

try:
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, StreamingResponse
    from pydantic import BaseModel, ConfigDict
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("tern.serve needs fastapi and uvicorn (pip install fastapi uvicorn)") from e

from .generation import _TextStream, check_sampling, iter_tokens


class APIError(Exception):
    def __init__(self, status: int, message: str, param: Optional[str] = None,
                 code: Optional[str] = None, kind: str = "invalid_request_error"):
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.kind = \
            status, message, param, code, kind


def _error_body(message: str, kind: str, param=None, code=None) -> Dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


class _Common(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str
    max_tokens: Optional[int] = None
    temperature: Optional[float] = None
    top_p: Optional[float] = None
    n: Optional[int] = None
    stream: Optional[bool] = False
    stop: Optional[Union[str, List[str]]] = None
    seed: Optional[int] = None
    frequency_penalty: Optional[float] = None
    presence_penalty: Optional[float] = None
    logprobs: Optional[Any] = None
    user: Optional[str] = None
    # Extensions (as vLLM spells them).
    top_k: Optional[int] = None
    repetition_penalty: Optional[float] = None


class CompletionRequest(_Common):
    prompt: Union[str, List[str], List[int]]


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: Optional[Union[str, List[Dict[str, Any]]]] = None


class ChatRequest(_Common):
    messages: List[ChatMessage]
    max_completion_tokens: Optional[int] = None


def chat_prompt(messages: List[ChatMessage]) -> str:
    lines = []
    for m in messages:
        if m.role not in ("system", "user", "assistant", "developer"):
            raise APIError(400, f"unknown message role {m.role!r}", "messages")
        content = m.content
        if isinstance(content, list):  # [{"type": "text", "text": ...}, ...]
            parts = []
            for p in content:
                if p.get("type") != "text" or not isinstance(p.get("text"), str):
                    raise APIError(400, "only text content parts are supported", "messages")
                parts.append(p["text"])
            content = "".join(parts)
        lines.append(f"{m.role}: {content or ''}\n")
    return "".join(lines) + "assistant:"


class Server:
    """The model, its tokenizer and a lock; builds the FastAPI app."""

    def __init__(self, cm, name: str):
        self.cm = cm
        self.name = name
        self.lock = threading.Lock()
        self.created = int(time.time())
        self.vocab = cm.model.outputs[0].shape[-1]

    # --- requests -> sampling settings ----------------------------------------------------
    def settings(self, req: _Common, max_tokens: Optional[int]) -> Dict[str, Any]:
        if req.model != self.name:
            raise APIError(404, f"the model {req.model!r} does not exist; this server has "
                                f"{self.name!r}", "model", "model_not_found")
        if req.n not in (None, 1):
            raise APIError(400, "n must be 1 (one completion per request)", "n")
        for field in ("frequency_penalty", "presence_penalty"):
            if getattr(req, field) not in (None, 0, 0.0):
                raise APIError(400, f"{field} is not supported (use repetition_penalty)", field)
        if req.logprobs not in (None, False, 0):
            raise APIError(400, "logprobs are not supported", "logprobs")
        max_tokens = 16 if max_tokens is None else max_tokens
        if max_tokens < 0:
            raise APIError(400, f"max_tokens must be >= 0, got {max_tokens}", "max_tokens")
        s = dict(temperature=1.0 if req.temperature is None else req.temperature,
                 top_k=req.top_k or 0, top_p=1.0 if req.top_p is None else req.top_p,
                 repetition_penalty=req.repetition_penalty or 1.0)
        try:
            check_sampling(s["temperature"], s["top_k"], s["top_p"], s["repetition_penalty"])
        except ValueError as e:
            raise APIError(400, str(e), None) from None
        stop = req.stop
        stops = [stop] if isinstance(stop, str) else list(stop or [])
        if len(stops) > 4 or any(not x for x in stops):
            raise APIError(400, "stop takes up to 4 non-empty strings", "stop")
        s.update(max_tokens=max_tokens, stop=stops, seed=req.seed)
        return s

    def prompt_ids(self, prompt: Union[str, List[int]]) -> Tuple[List[int], List[int]]:
        """The ids fed to the model and the context text is decoded from (without BOS)."""
        tok = self.cm.tokenizer
        if isinstance(prompt, list):
            ids = [int(t) for t in prompt]
            if not ids or any(not 0 <= t < self.vocab for t in ids):
                raise APIError(400, f"prompt token ids must be non-empty and in [0, "
                                    f"{self.vocab})", "prompt")
            return ids, ids
        ids = tok.prompt_ids(prompt)
        if not ids:
            raise APIError(400, "the prompt is empty", "prompt")
        if any(not 0 <= t < self.vocab for t in ids):
            raise APIError(400, "the tokenizer produced ids outside the model's vocabulary",
                           "prompt")
        context = ids[1:] if tok.bos_id is not None and ids[0] == tok.bos_id else ids
        return ids, context

    # --- generation ----------------------------------------------------------------------
    def pieces(self, ids: List[int], context: List[int], s: Dict[str, Any],
               usage: Dict[str, int]) -> Iterator[Tuple[str, Optional[str]]]:
        """(text piece, None) as text is produced, then ("", finish_reason)."""
        tok = self.cm.tokenizer
        out: List[str] = []
        stream = _TextStream(tok, context, out.append)
        text, sent, n = "", 0, 0
        stops = s["stop"]
        eos = {tok.eos_id} if tok.eos_id is not None else set()
        finish = "length"
        with self.lock:
            gen = iter_tokens(self.cm.model, ids, s["max_tokens"], temperature=s["temperature"],
                              top_k=s["top_k"], top_p=s["top_p"],
                              repetition_penalty=s["repetition_penalty"], seed=s["seed"],
                              stop=eos)
            for token in gen:
                n += 1
                stream.push(token)
                text += "".join(out)
                out.clear()
                hit = min((i for i in (text.find(x) for x in stops) if i >= 0), default=-1)
                if hit >= 0:
                    if hit > sent:
                        yield text[sent:hit], None
                    finish = "stop"
                    break
                # Hold back what could be the start of a stop string.
                hold = max((len(x) - 1 for x in stops), default=0)
                safe = max(sent, len(text) - hold)
                if safe > sent:
                    yield text[sent:safe], None
                    sent = safe
            else:
                stream.finish()
                text += "".join(out)
                if n < s["max_tokens"]:
                    finish = "stop"  # EOS
                if len(text) > sent:
                    yield text[sent:], None
        usage.update(prompt_tokens=len(ids), completion_tokens=n,
                     total_tokens=len(ids) + n)
        yield "", finish

    # --- the app -------------------------------------------------------------------------
    def app(self) -> FastAPI:
        app = FastAPI(title="tern.serve", version="1")

        @app.exception_handler(APIError)
        async def api_error(_request: Request, e: APIError):
            return JSONResponse(_error_body(e.message, e.kind, e.param, e.code),
                                status_code=e.status)

        @app.exception_handler(RequestValidationError)
        async def validation_error(_request: Request, e: RequestValidationError):
            errs = e.errors()
            first = errs[0] if errs else {}
            loc = ".".join(str(x) for x in first.get("loc", ()) if x != "body")
            return JSONResponse(_error_body(f"invalid request: {loc}: {first.get('msg', '')}",
                                            "invalid_request_error", loc or None),
                                status_code=400)

        @app.get("/v1/models")
        def models():
            return {"object": "list", "data": [{"id": self.name, "object": "model",
                                                "created": self.created, "owned_by": "tern"}]}

        @app.post("/v1/completions")
        def completions(req: CompletionRequest):
            s = self.settings(req, req.max_tokens)
            prompt = req.prompt
            if isinstance(prompt, list) and prompt and isinstance(prompt[0], str):
                if len(prompt) != 1:
                    raise APIError(400, "one prompt per request", "prompt")
                prompt = prompt[0]
            ids, context = self.prompt_ids(prompt)
            return self.respond(req, s, ids, context, chat=False)

        @app.post("/v1/chat/completions")
        def chat(req: ChatRequest):
            if not req.messages:
                raise APIError(400, "messages must not be empty", "messages")
            s = self.settings(req, req.max_completion_tokens
                              if req.max_completion_tokens is not None else req.max_tokens)
            ids, context = self.prompt_ids(chat_prompt(req.messages))
            return self.respond(req, s, ids, context, chat=True)

        return app

    def respond(self, req: _Common, s, ids, context, chat: bool):
        rid = ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex[:24]
        created = int(time.time())
        usage: Dict[str, int] = {}
        if not req.stream:
            text, finish = "", None
            for piece, fin in self.pieces(ids, context, s, usage):
                text += piece
                finish = fin or finish
            choice: Dict[str, Any] = {"index": 0, "finish_reason": finish, "logprobs": None}
            if chat:
                choice["message"] = {"role": "assistant", "content": text}
            else:
                choice["text"] = text
            return {"id": rid, "object": "chat.completion" if chat else "text_completion",
                    "created": created, "model": self.name, "choices": [choice],
                    "usage": usage}

        kind = "chat.completion.chunk" if chat else "text_completion"

        def chunk(piece: Optional[str], finish: Optional[str], first: bool = False) -> str:
            if chat:
                delta: Dict[str, Any] = {}
                if first:
                    delta["role"] = "assistant"
                if piece:
                    delta["content"] = piece
                choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
            else:
                choice = {"index": 0, "text": piece or "", "finish_reason": finish,
                          "logprobs": None}
            body = {"id": rid, "object": kind, "created": created, "model": self.name,
                    "choices": [choice]}
            return f"data: {json.dumps(body)}\n\n"

        def events() -> Iterator[str]:
            if chat:
                yield chunk(None, None, first=True)
            for piece, fin in self.pieces(ids, context, s, usage):
                if fin is None:
                    yield chunk(piece, None)
                else:
                    yield chunk(None, fin)
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tern.serve",
                                 description="OpenAI-compatible server for one Tern model")
    ap.add_argument("model", help="checkpoint directory or compiled model.so (or .onnx)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--tokenizer", default=None,
                    help="tokenizer.model, tokenizer.json or 'bytes' (default: beside the model)")
    ap.add_argument("--model-name", default=None,
                    help="the name clients ask for (default: the model path's last component)")
    ap.add_argument("--target", choices=("cpu", "cuda"), default="cpu")
    args = ap.parse_args(argv)
    import os
    from .api import TernError
    from .checkpoint import load
    try:
        cm = load(args.model, tokenizer=args.tokenizer, target=args.target)
    except (TernError, FileNotFoundError, ValueError, OSError, ImportError) as e:
        print(f"tern.serve: error: {e}", file=sys.stderr)
        return 1
    name = args.model_name or os.path.basename(os.path.normpath(args.model))
    import uvicorn
    print(f"tern.serve: {name} ({cm.tokenizer.kind} tokenizer) on http://{args.host}:"
          f"{args.port}/v1", file=sys.stderr, flush=True)
    uvicorn.run(Server(cm, name).app(), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
