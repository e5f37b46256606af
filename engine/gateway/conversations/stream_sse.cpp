#include "gateway/conversations/stream_sse.h"

#include <QJsonDocument>
#include <QTimer>

#include <memory>

#include "gateway/conversations/conversation_json.h"
#include "gateway/conversations/stream_hub.h"
#include "gateway/http/api_error.h"

namespace parley::gateway {

std::optional<qint64> lastEventId(const HttpRequest& request) {
    QByteArray text = request.header("last-event-id").trimmed();
    if (text.isEmpty())
        text = request.query.queryItemValue(QStringLiteral("last_event_id")).toLatin1();
    if (text.isEmpty())
        return 0;
    bool ok = false;
    const qint64 id = text.toLongLong(&ok);
    if (!ok || id < 0)
        return std::nullopt;
    return id;
}

void serveStreamEvents(StreamHub& hub, const RequestContextPtr& ctx, const QString& userId,
                       const QString& streamId, qint64 afterId, int heartbeatMs) {
    if (!hub.isVisibleTo(userId, streamId)) {
        ctx->reply(notFound(QStringLiteral("stream %1 not found").arg(streamId)));
        return;
    }
    if (!ctx->beginStream(200, {{"content-type", "text/event-stream; charset=utf-8"},
                                {"x-accel-buffering", "no"}}))
        return;

    struct Subscription {
        std::optional<quint64> id;
        std::unique_ptr<QTimer> heartbeat = std::make_unique<QTimer>();
    };
    auto subscription = std::make_shared<Subscription>();
    subscription->heartbeat->setInterval(heartbeatMs);
    QObject::connect(subscription->heartbeat.get(), &QTimer::timeout,
                     [ctx = std::weak_ptr<RequestContext>(ctx)] {
                         if (auto alive = ctx.lock())
                             alive->write(": keep-alive\n\n");
                     });
    subscription->heartbeat->start();

    ctx->onClientGone([&hub, subscription] {
        if (subscription->id)
            hub.unsubscribe(*subscription->id);
        subscription->id.reset();
        subscription->heartbeat->stop();
    });
    // The hub keeps the sink (and so the request) until the stream ends or the client goes.
    subscription->id = hub.subscribe(
        userId, streamId, afterId, [ctx, subscription](const chat::StreamEvent& event) {
            ctx->sendEvent(
                QJsonDocument(json::fromStreamEvent(event)).toJson(QJsonDocument::Compact),
                json::streamEventName(event.kind).toLatin1(), event.sequence);
            if (event.kind != chat::StreamEvent::Kind::Token) {
                subscription->heartbeat->stop();
                subscription->id.reset();
                ctx->end();
            }
        });
    // A client dropped while the replay was written is gone before the subscription existed.
    if (!ctx->clientConnected() && subscription->id) {
        hub.unsubscribe(*subscription->id);
        subscription->id.reset();
        subscription->heartbeat->stop();
    }
}

}  // namespace parley::gateway
