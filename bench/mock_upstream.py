"""The upstream of bench/gateways.py's Envoy runs: a constant OpenAI-shaped chat completion."""
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

COMPLETION = {"object": "chat.completion", "model": "openai/gpt-4o",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
              "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30}}


async def chat(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse(COMPLETION)


app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
