// Parsing and checking the bodies of POST /v1/chat/completions and /v1/completions. Every field
// OpenAI defines that Parley does not implement is refused with 400 unsupported_parameter (never
// silently ignored); values out of range get 400 invalid_value naming the field.
#pragma once

#include <QJsonObject>
#include <QString>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gateway/http/request_context.h"
#include "gateway/limits/gateway_limits.h"
#include "inference/chat_template/chat_template.h"

namespace parley::gateway {

struct OpenAiSampling {
    QString model;                 // as requested: an id or "auto"
    std::optional<int> maxTokens;  // unset: as many as fit, up to GatewayLimits
    double temperature = 1.0;      // OpenAI's defaults
    double topP = 1.0;
    std::optional<quint64> seed;
    std::vector<std::string> stop;
    double presencePenalty = 0;
    double frequencyPenalty = 0;
    std::map<int, double> logitBias;  // token id -> bias in [-100, 100]
    bool stream = false;
    bool includeUsage = false;
};

struct ChatCompletionRequest {
    OpenAiSampling sampling;
    std::vector<chat_template::ChatMessage> messages;
};

struct CompletionRequest {
    OpenAiSampling sampling;
    QString prompt;
};

// Each answers 400 on `ctx` and returns nullopt when the body is not acceptable.
std::optional<ChatCompletionRequest> parseChatCompletion(RequestContext& ctx,
                                                         const QJsonObject& body,
                                                         const GatewayLimits& limits);
std::optional<CompletionRequest> parseCompletion(RequestContext& ctx, const QJsonObject& body,
                                                 const GatewayLimits& limits);

}  // namespace parley::gateway
