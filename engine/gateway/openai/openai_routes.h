// The OpenAI-compatible API, so existing OpenAI clients work unchanged:
//   POST /v1/chat/completions  (stream or not; usage in the answer, stream_options.include_usage)
//   POST /v1/completions       (plain prompt, no chat template)
//   GET  /v1/models
// `model` is an id from /v1/models or "auto" (the default model). Quotas are checked before the
// engine sees the request; a full engine queue answers 429 engine_overloaded with Retry-After.
// A client that disconnects mid-answer cancels its engine request.
#pragma once

namespace parley::gateway {

class Router;
struct GatewayServices;

void registerOpenAiRoutes(Router& router, const GatewayServices& services);

}  // namespace parley::gateway
