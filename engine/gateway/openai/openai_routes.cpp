#include "gateway/openai/openai_routes.h"

#include <QDateTime>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTimer>
#include <QUuid>

#include <cmath>
#include <limits>

#include "gateway/gateway_services.h"
#include "gateway/http/api_error.h"
#include "gateway/http/router.h"
#include "gateway/limits/quota_tracker.h"
#include "gateway/openai/openai_request.h"
#include "serving/model_registry.h"

namespace parley::gateway {
namespace {

using serving::CompletionReason;

QByteArray compact(const QJsonObject& object) {
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QJsonObject usageJson(qint64 prompt, qint64 completion) {
    return QJsonObject{{"prompt_tokens", prompt},
                       {"completion_tokens", completion},
                       {"total_tokens", prompt + completion}};
}

const char* finishReasonOf(CompletionReason reason) {
    return reason == CompletionReason::Length ? "length" : "stop";
}

// One answer being generated for one HTTP request: receives the engine's events (posted to the
// gateway thread) and turns them into an OpenAI response, whole or as SSE chunks.
struct Generation {
    RequestContextPtr ctx;
    std::shared_ptr<const serving::HostedModel> model;
    QuotaTracker::Slot slot;
    bool chat = true;
    bool stream = false;
    bool includeUsage = false;
    QString id;
    qint64 created = 0;
    serving::RequestId requestId = 0;
    QString text;
    bool endingForShutdown = false;
    bool finished = false;

    QJsonObject envelope() const {
        return QJsonObject{{"id", id},
                           {"object", chat ? "chat.completion.chunk" : "text_completion"},
                           {"created", created},
                           {"model", QString::fromStdString(model->id)},
                           {"system_fingerprint", QJsonValue()}};
    }

    void sendChunk(const QJsonValue& delta, const QJsonValue& finishReason) {
        QJsonObject chunk = envelope();
        QJsonObject choice{
            {"index", 0}, {"finish_reason", finishReason}, {"logprobs", QJsonValue()}};
        if (chat)
            choice.insert("delta", delta);
        else
            choice.insert("text", delta.toString());
        chunk.insert("choices", QJsonArray{choice});
        if (includeUsage)
            chunk.insert("usage", QJsonValue());
        ctx->sendEvent(compact(chunk));
    }

    void start() {
        if (!stream)
            return;
        ctx->beginStream(200, {{"content-type", "text/event-stream; charset=utf-8"},
                               {"x-accel-buffering", "no"}});
        if (chat)
            sendChunk(QJsonObject{{"role", "assistant"}, {"content", ""}}, QJsonValue());
    }

    void onEvent(const serving::StreamEvent& event) {
        if (finished)
            return;
        if (event.kind == serving::StreamEvent::Kind::Text) {
            const QString delta = QString::fromStdString(event.text);
            if (stream)
                sendChunk(chat ? QJsonValue(QJsonObject{{"content", delta}}) : QJsonValue(delta),
                          QJsonValue());
            else
                text += delta;
            return;
        }
        finished = true;
        slot.reset();
        ctx->setUsage(QString::fromStdString(model->id), event.usage.promptTokens,
                      event.usage.completionTokens);
        if (event.reason == CompletionReason::Error ||
            (event.reason == CompletionReason::Cancelled && endingForShutdown)) {
            const bool shutdown = event.reason == CompletionReason::Cancelled;
            HttpResponse error =
                shutdown ? apiError(503, error_type::kServer, QStringLiteral("shutting_down"),
                                    QStringLiteral("the server is shutting down; retry"))
                         : apiError(500, error_type::kServer, QStringLiteral("generation_failed"),
                                    QStringLiteral("generation failed: %1")
                                        .arg(QString::fromStdString(event.error)));
            if (stream) {
                ctx->sendEvent(error.body);
                ctx->sendEvent("[DONE]");
                ctx->end();
            } else {
                ctx->reply(shutdown ? error.withHeader("retry-after", "5") : error);
            }
            return;
        }
        if (event.reason == CompletionReason::Cancelled)
            return;  // the client left; nobody to answer
        const char* finishReason = finishReasonOf(event.reason);
        const QJsonObject usage = usageJson(event.usage.promptTokens, event.usage.completionTokens);
        if (stream) {
            sendChunk(chat ? QJsonValue(QJsonObject{}) : QJsonValue(QString()),
                      QString::fromLatin1(finishReason));
            if (includeUsage) {
                QJsonObject last = envelope();
                last.insert("choices", QJsonArray{});
                last.insert("usage", usage);
                ctx->sendEvent(compact(last));
            }
            ctx->sendEvent("[DONE]");
            ctx->end();
            return;
        }
        QJsonObject choice{
            {"index", 0}, {"finish_reason", finishReason}, {"logprobs", QJsonValue()}};
        if (chat)
            choice.insert("message", QJsonObject{{"role", "assistant"}, {"content", text}});
        else
            choice.insert("text", text);
        QJsonObject answer = envelope();
        answer.insert("object", chat ? "chat.completion" : "text_completion");
        answer.insert("choices", QJsonArray{choice});
        answer.insert("usage", usage);
        ctx->reply(HttpResponse::json(200, answer));
    }
};

// Prompt and answer together: the model's trained context, or less when the KV cache is smaller.
int32_t contextTokens(const serving::HostedModel& model) {
    const int32_t trained = model.loaded->model().hparams().nCtxTrain;
    const int32_t cache = model.engine->kvCapacityTokens();
    return trained > 0 ? std::min(trained, cache) : cache;
}

// The hosted model for `requested`, or nullptr after answering 404.
std::shared_ptr<const serving::HostedModel> resolveModel(const GatewayServices& services,
                                                         RequestContext& ctx,
                                                         const QString& requested) {
    auto model = services.models->find(requested.toStdString());
    if (!model)
        ctx.reply(apiError(
            404, error_type::kInvalidRequest, QStringLiteral("model_not_found"),
            QStringLiteral("The model '%1' does not exist; see GET /v1/models").arg(requested),
            "model"));
    return model;
}

// Engines whose queue answered Overloaded, with their step count at that moment. Until the engine
// runs another step its queue cannot have drained, so further requests get 429 at once instead of
// first paying for template rendering and tokenization (which would delay every refusal in a
// burst behind the others).
using FullEngines = QHash<const serving::ServingEngine*, quint64>;

HttpResponse engineOverloaded() {
    return apiError(429, error_type::kRateLimit, QStringLiteral("engine_overloaded"),
                    QStringLiteral("the model's queue is full; retry shortly"))
        .withHeader("retry-after", "1");
}

bool knownFull(FullEngines& full, const serving::HostedModel& model) {
    const auto it = full.constFind(model.engine.get());
    if (it == full.constEnd())
        return false;
    if (model.engine->stats().steps == *it)
        return true;
    full.erase(it);
    return false;
}

// Runs one generation for `ctx`: quota check, sampling settings, engine submit, events back.
void generate(const GatewayServices& services, FullEngines& full, const RequestContextPtr& ctx,
              std::shared_ptr<const serving::HostedModel> model,
              std::vector<serving::TokenId> prompt, const OpenAiSampling& sampling, bool chat) {
    const int32_t vocab = model->loaded->model().hparams().nVocab;
    for (const auto& [token, bias] : sampling.logitBias) {
        if (token >= vocab) {
            ctx->reply(badRequest(QStringLiteral("invalid_value"),
                                  QStringLiteral("logit_bias names token %1; the vocabulary has %2")
                                      .arg(token)
                                      .arg(vocab),
                                  "logit_bias"));
            return;
        }
    }
    const int32_t context = contextTokens(*model);
    const int32_t room = context - static_cast<int32_t>(prompt.size());
    const int maxTokens =
        sampling.maxTokens.value_or(std::min(services.limits.maxCompletionTokens, room));
    if (room < 1 || maxTokens > room) {
        ctx->reply(badRequest(QStringLiteral("context_length_exceeded"),
                              QStringLiteral("the prompt has %1 tokens; with %2 more it exceeds "
                                             "this model's context of %3 tokens")
                                  .arg(prompt.size())
                                  .arg(std::max(maxTokens, 1))
                                  .arg(context),
                              "messages"));
        return;
    }

    auto admitted = services.quotas->acquireStream(ctx->principal(), QuotaTracker::nowMs());
    if (auto* refusal = std::get_if<QuotaRefusal>(&admitted)) {
        ctx->reply(quotaRefusalResponse(*refusal));
        return;
    }

    auto generation = std::make_shared<Generation>();
    generation->ctx = ctx;
    generation->model = model;
    generation->slot = std::get<QuotaTracker::Slot>(std::move(admitted));
    generation->chat = chat;
    generation->stream = sampling.stream;
    generation->includeUsage = sampling.includeUsage;
    generation->id = (chat ? QStringLiteral("chatcmpl-") : QStringLiteral("cmpl-")) +
                     QUuid::createUuid().toString(QUuid::Id128);
    generation->created = QDateTime::currentSecsSinceEpoch();

    serving::ServingRequest request;
    request.user = ctx->principal().userId.toStdString();
    request.prompt = std::move(prompt);
    request.maxNewTokens = maxTokens;
    request.sampling.temperature = static_cast<float>(sampling.temperature);
    request.sampling.topP = static_cast<float>(sampling.topP);
    request.sampling.topK = 0;
    request.sampling.minP = 0;
    request.sampling.presencePenalty = static_cast<float>(sampling.presencePenalty);
    request.sampling.frequencyPenalty = static_cast<float>(sampling.frequencyPenalty);
    request.sampling.seed = sampling.seed.value_or(QRandomGenerator::global()->generate64());
    for (const auto& [token, bias] : sampling.logitBias)
        request.sampling.logitBias[token] =
            bias <= -100 ? -std::numeric_limits<float>::infinity() : static_cast<float>(bias);
    request.stopStrings = sampling.stop;
    request.onEvent = [services, generation](serving::StreamEvent&& event) {
        services.post([generation, event = std::move(event)] { generation->onEvent(event); });
    };

    const serving::RequestHandle handle = model->engine->submit(std::move(request));
    if (handle.status == serving::SubmitStatus::Overloaded) {
        generation->slot.reset();
        full.insert(model->engine.get(), model->engine->stats().steps);
        ctx->reply(engineOverloaded());
        return;
    }
    if (handle.status == serving::SubmitStatus::Invalid) {
        generation->slot.reset();
        ctx->reply(badRequest(QStringLiteral("invalid_request"),
                              QString::fromStdString(handle.error), "messages"));
        return;
    }
    generation->requestId = handle.id;
    generation->start();

    ctx->onClientGone([generation] {
        if (!generation->finished)
            generation->model->engine->cancel(generation->requestId);
    });
    ctx->onShutdown([services, generation] {
        // Most answers finish within the grace period; the rest end with a clear error event
        // a little before the connection would be cut.
        QTimer::singleShot(services.limits.shutdownGraceMs * 4 / 5, services.loop, [generation] {
            if (generation->finished)
                return;
            generation->endingForShutdown = true;
            generation->model->engine->cancel(generation->requestId);
        });
    });
}

// The steps both endpoints share around their own parsing and tokenizing: each step that fails
// has answered the client itself. `tokenize(request, model)` returns the prompt or nullopt.
template <typename Parse, typename Tokenize>
void parseAndGenerate(const GatewayServices& services, FullEngines& full,
                      const RequestContextPtr& ctx, Parse parse, Tokenize tokenize, bool chat) {
    const auto body = ctx->jsonBody();
    if (!body)
        return;
    const auto request = parse(*ctx, *body, services.limits);
    if (!request)
        return;
    auto model = resolveModel(services, *ctx, request->sampling.model);
    if (!model)
        return;
    if (knownFull(full, *model)) {
        ctx->reply(engineOverloaded());
        return;
    }
    auto prompt = tokenize(*request, *model);
    if (!prompt)
        return;
    generate(services, full, ctx, model, std::move(*prompt), request->sampling, chat);
}

void chatCompletions(const GatewayServices& services, FullEngines& full,
                     const RequestContextPtr& ctx) {
    parseAndGenerate(
        services, full, ctx, parseChatCompletion,
        [&ctx](const ChatCompletionRequest& request,
               const serving::HostedModel& model) -> std::optional<std::vector<serving::TokenId>> {
            auto prompt = model.loaded->promptTokens(request.messages);
            if (!prompt) {
                ctx->reply(badRequest(QStringLiteral("invalid_messages"),
                                      QString::fromStdString(prompt.error().message), "messages"));
                return std::nullopt;
            }
            return std::move(prompt.value());
        },
        true);
}

void completions(const GatewayServices& services, FullEngines& full, const RequestContextPtr& ctx) {
    parseAndGenerate(
        services, full, ctx, parseCompletion,
        [](const CompletionRequest& request,
           const serving::HostedModel& model) -> std::optional<std::vector<serving::TokenId>> {
            return model.loaded->tokenizer().encode(request.prompt.toStdString(), true, false);
        },
        false);
}

void listModels(const GatewayServices& services, const RequestContextPtr& ctx) {
    QJsonArray data;
    const std::string defaultId = services.models->defaultId();
    for (const auto& model : services.models->models()) {
        data.append(QJsonObject{{"id", QString::fromStdString(model->id)},
                                {"object", "model"},
                                {"created", 0},
                                {"owned_by", "parley"},
                                {"context_length", contextTokens(*model)},
                                {"default", model->id == defaultId}});
    }
    ctx->reply(HttpResponse::json(200, QJsonObject{{"object", "list"}, {"data", data}}));
}

}  // namespace

void registerOpenAiRoutes(Router& router, const GatewayServices& services) {
    auto full = std::make_shared<FullEngines>();
    router.add("GET", "/v1/models", Access::User,
               [services](const RequestContextPtr& ctx) { listModels(services, ctx); });
    router.add(
        "POST", "/v1/chat/completions", Access::User,
        [services, full](const RequestContextPtr& ctx) { chatCompletions(services, *full, ctx); });
    router.add(
        "POST", "/v1/completions", Access::User,
        [services, full](const RequestContextPtr& ctx) { completions(services, *full, ctx); });
}

}  // namespace parley::gateway
