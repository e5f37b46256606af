#include "gateway/openai/openai_request.h"

#include <QJsonArray>

#include <cmath>

#include "gateway/http/api_error.h"
#include "gateway/http/json_fields.h"

namespace parley::gateway {
namespace {

bool fail(RequestContext& ctx, const QString& code, const QString& message, const QString& param) {
    ctx.reply(badRequest(code, message, param));
    return false;
}

bool numberIn(RequestContext& ctx, const QJsonObject& body, const QString& key, double min,
              double max, double& out) {
    const QJsonValue value = body.value(key);
    if (value.isUndefined() || value.isNull())
        return true;
    if (!value.isDouble() || value.toDouble() < min || value.toDouble() > max)
        return fail(
            ctx, QStringLiteral("invalid_value"),
            QStringLiteral("'%1' must be a number from %2 to %3").arg(key).arg(min).arg(max), key);
    out = value.toDouble();
    return true;
}

// The fields both endpoints share.
bool parseSampling(RequestContext& ctx, const QJsonObject& body, const GatewayLimits& limits,
                   OpenAiSampling& out) {
    const auto model = stringField(ctx, body, "model", true, 256);
    if (!model)
        return false;
    out.model = *model;

    const bool hasMax = body.contains("max_tokens") && !body.value("max_tokens").isNull();
    const bool hasMaxCompletion =
        body.contains("max_completion_tokens") && !body.value("max_completion_tokens").isNull();
    if (hasMax && hasMaxCompletion &&
        body.value("max_tokens") != body.value("max_completion_tokens"))
        return fail(ctx, QStringLiteral("invalid_value"),
                    QStringLiteral("'max_tokens' and 'max_completion_tokens' disagree; send one"),
                    "max_tokens");
    if (hasMax || hasMaxCompletion) {
        const QString key = hasMaxCompletion ? "max_completion_tokens" : "max_tokens";
        const auto max = integerField(ctx, body, key, 1, limits.maxCompletionTokens, std::nullopt);
        if (!max)
            return false;
        out.maxTokens = static_cast<int>(*max);
    }
    if (!numberIn(ctx, body, "temperature", 0, 2, out.temperature) ||
        !numberIn(ctx, body, "top_p", 0, 1, out.topP) ||
        !numberIn(ctx, body, "presence_penalty", -2, 2, out.presencePenalty) ||
        !numberIn(ctx, body, "frequency_penalty", -2, 2, out.frequencyPenalty))
        return false;
    if (body.contains("top_p") && out.topP <= 0)
        return fail(ctx, QStringLiteral("invalid_value"), QStringLiteral("'top_p' must be above 0"),
                    "top_p");
    if (body.contains("seed") && !body.value("seed").isNull()) {
        const auto seed =
            integerField(ctx, body, "seed", -(qint64(1) << 53), qint64(1) << 53, std::nullopt);
        if (!seed)
            return false;
        out.seed = static_cast<quint64>(*seed);
    }
    const QJsonValue n = body.value("n");
    if (!n.isUndefined() && !n.isNull() && n.toDouble() != 1)
        return fail(ctx, QStringLiteral("unsupported_value"),
                    QStringLiteral("only n=1 is supported"), "n");

    const QJsonValue stop = body.value("stop");
    if (stop.isString()) {
        out.stop.push_back(stop.toString().toStdString());
    } else if (stop.isArray()) {
        if (stop.toArray().size() > 4)
            return fail(ctx, QStringLiteral("invalid_value"),
                        QStringLiteral("'stop' has at most 4 sequences"), "stop");
        for (const QJsonValue& s : stop.toArray()) {
            if (!s.isString())
                return fail(ctx, QStringLiteral("invalid_type"),
                            QStringLiteral("'stop' must hold strings"), "stop");
            out.stop.push_back(s.toString().toStdString());
        }
    } else if (!stop.isUndefined() && !stop.isNull()) {
        return fail(ctx, QStringLiteral("invalid_type"),
                    QStringLiteral("'stop' must be a string or an array of strings"), "stop");
    }
    for (const auto& s : out.stop) {
        if (s.empty() || s.size() > 256)
            return fail(ctx, QStringLiteral("invalid_value"),
                        QStringLiteral("stop sequences have 1 to 256 bytes"), "stop");
    }

    const QJsonValue bias = body.value("logit_bias");
    if (bias.isObject()) {
        const QJsonObject map = bias.toObject();
        if (map.size() > 300)
            return fail(ctx, QStringLiteral("invalid_value"),
                        QStringLiteral("'logit_bias' has at most 300 entries"), "logit_bias");
        for (auto it = map.begin(); it != map.end(); ++it) {
            bool ok = false;
            const int token = it.key().toInt(&ok);
            if (!ok || token < 0 || !it.value().isDouble() || std::abs(it.value().toDouble()) > 100)
                return fail(ctx, QStringLiteral("invalid_value"),
                            QStringLiteral("'logit_bias' maps token ids to numbers from -100 to "
                                           "100"),
                            "logit_bias");
            out.logitBias[token] = it.value().toDouble();
        }
    } else if (!bias.isUndefined() && !bias.isNull()) {
        return fail(ctx, QStringLiteral("invalid_type"),
                    QStringLiteral("'logit_bias' must be an object"), "logit_bias");
    }

    if (!stringField(ctx, body, "user", false, 256))
        return false;
    const QJsonValue stream = body.value("stream");
    if (!stream.isUndefined() && !stream.isNull() && !stream.isBool())
        return fail(ctx, QStringLiteral("invalid_type"),
                    QStringLiteral("'stream' must be a boolean"), "stream");
    out.stream = stream.toBool(false);
    const QJsonValue options = body.value("stream_options");
    if (!options.isUndefined() && !options.isNull()) {
        if (!out.stream)
            return fail(ctx, QStringLiteral("invalid_value"),
                        QStringLiteral("'stream_options' is only allowed with stream=true"),
                        "stream_options");
        if (!options.isObject())
            return fail(ctx, QStringLiteral("invalid_type"),
                        QStringLiteral("'stream_options' must be an object"), "stream_options");
        const QJsonObject o = options.toObject();
        for (auto it = o.begin(); it != o.end(); ++it) {
            if (it.key() != "include_usage")
                return fail(
                    ctx, QStringLiteral("unsupported_parameter"),
                    QStringLiteral("Unsupported parameter: 'stream_options.%1'").arg(it.key()),
                    "stream_options." + it.key());
            if (!it.value().isBool())
                return fail(ctx, QStringLiteral("invalid_type"),
                            QStringLiteral("'stream_options.include_usage' must be a boolean"),
                            "stream_options.include_usage");
            out.includeUsage = it.value().toBool();
        }
    }
    return true;
}

QString textOfContent(const QJsonValue& content, bool& ok) {
    ok = true;
    if (content.isString())
        return content.toString();
    if (content.isArray()) {
        QString text;
        for (const QJsonValue& part : content.toArray()) {
            const QJsonObject object = part.toObject();
            if (object.value("type").toString() != "text" || !object.value("text").isString()) {
                ok = false;
                return {};
            }
            text += object.value("text").toString();
        }
        return text;
    }
    ok = false;
    return {};
}

}  // namespace

std::optional<ChatCompletionRequest> parseChatCompletion(RequestContext& ctx,
                                                         const QJsonObject& body,
                                                         const GatewayLimits& limits) {
    if (!onlyKnownFields(ctx, body,
                         {"model", "messages", "max_tokens", "max_completion_tokens", "temperature",
                          "top_p", "seed", "stop", "presence_penalty", "frequency_penalty",
                          "logit_bias", "user", "stream", "stream_options", "n"}))
        return std::nullopt;
    ChatCompletionRequest request;
    if (!parseSampling(ctx, body, limits, request.sampling))
        return std::nullopt;
    const QJsonValue messages = body.value("messages");
    if (!messages.isArray() || messages.toArray().isEmpty()) {
        fail(ctx, QStringLiteral("invalid_value"),
             QStringLiteral("'messages' must be a non-empty array"), "messages");
        return std::nullopt;
    }
    if (messages.toArray().size() > limits.maxMessages) {
        fail(ctx, QStringLiteral("invalid_value"),
             QStringLiteral("at most %1 messages per request").arg(limits.maxMessages), "messages");
        return std::nullopt;
    }
    int index = 0;
    for (const QJsonValue& value : messages.toArray()) {
        const QString param = QStringLiteral("messages[%1]").arg(index++);
        const QJsonObject message = value.toObject();
        if (!value.isObject()) {
            fail(ctx, QStringLiteral("invalid_type"), param + " must be an object", param);
            return std::nullopt;
        }
        for (auto it = message.begin(); it != message.end(); ++it) {
            if (it.key() != "role" && it.key() != "content") {
                fail(ctx, QStringLiteral("unsupported_parameter"),
                     QStringLiteral("Unsupported parameter: '%1.%2'").arg(param, it.key()),
                     param + "." + it.key());
                return std::nullopt;
            }
        }
        QString role = message.value("role").toString();
        if (role == "developer")
            role = "system";
        if (role != "system" && role != "user" && role != "assistant") {
            fail(ctx, QStringLiteral("invalid_value"),
                 param + ".role must be system, developer, user or assistant", param + ".role");
            return std::nullopt;
        }
        bool ok = false;
        const QString content = textOfContent(message.value("content"), ok);
        if (!ok) {
            fail(ctx, QStringLiteral("invalid_value"),
                 param + ".content must be a string or an array of text parts", param + ".content");
            return std::nullopt;
        }
        if (content.size() > limits.maxMessageChars) {
            fail(ctx, QStringLiteral("string_above_max_length"),
                 QStringLiteral("%1.content has %2 characters; the limit is %3")
                     .arg(param)
                     .arg(content.size())
                     .arg(limits.maxMessageChars),
                 param + ".content");
            return std::nullopt;
        }
        request.messages.push_back({role.toStdString(), content.toStdString()});
    }
    return request;
}

std::optional<CompletionRequest> parseCompletion(RequestContext& ctx, const QJsonObject& body,
                                                 const GatewayLimits& limits) {
    if (!onlyKnownFields(ctx, body,
                         {"model", "prompt", "max_tokens", "temperature", "top_p", "seed", "stop",
                          "presence_penalty", "frequency_penalty", "logit_bias", "user", "stream",
                          "stream_options", "n"}))
        return std::nullopt;
    CompletionRequest request;
    if (!parseSampling(ctx, body, limits, request.sampling))
        return std::nullopt;
    if (!request.sampling.maxTokens)
        request.sampling.maxTokens = 16;  // OpenAI's default for completions
    QJsonValue prompt = body.value("prompt");
    if (prompt.isArray() && prompt.toArray().size() == 1 && prompt.toArray().first().isString())
        prompt = prompt.toArray().first();
    if (!prompt.isString() || prompt.toString().isEmpty()) {
        fail(ctx, QStringLiteral("invalid_value"),
             QStringLiteral("'prompt' must be a non-empty string (or an array of one)"), "prompt");
        return std::nullopt;
    }
    if (prompt.toString().size() > limits.maxMessageChars) {
        fail(ctx, QStringLiteral("string_above_max_length"),
             QStringLiteral("'prompt' has %1 characters; the limit is %2")
                 .arg(prompt.toString().size())
                 .arg(limits.maxMessageChars),
             "prompt");
        return std::nullopt;
    }
    request.prompt = prompt.toString();
    return request;
}

}  // namespace parley::gateway
