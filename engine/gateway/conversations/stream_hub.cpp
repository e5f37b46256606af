#include "gateway/conversations/stream_hub.h"

#include <algorithm>

#include "gateway/logging.h"

namespace parley::gateway {

StreamHub::StreamHub(StreamHubLimits limits) : limits_(limits) {
    clock_.start();
}

StreamHub::Stream& StreamHub::streamFor(const QString& userId, const QString& streamId) {
    auto it = streams_.find(streamId);
    if (it == streams_.end()) {
        it = streams_.insert(streamId, Stream{});
        it->owner = userId;
    }
    return *it;
}

void StreamHub::open(const QString& userId, const QString& conversationId,
                     const chat::StreamStarted& started, std::shared_ptr<void> hold) {
    if (forgotten_.contains(started.streamId))
        return;
    Stream& stream = streamFor(userId, started.streamId);
    if (stream.owner != userId) {
        qCWarning(lcGateway) << "stream" << started.streamId << "opened by a second user; ignored";
        return;
    }
    if (!conversationId.isEmpty())
        stream.conversationId = conversationId;
    stream.messageId = started.assistantMessageId;
    stream.model = started.model;
    // A repeated send gets the same stream: it already holds its slot.
    if (!stream.terminal && !stream.hold)
        stream.hold = std::move(hold);
    forgetOldStreams();
}

void StreamHub::record(const QString& userId, const chat::StreamEvent& event) {
    Stream& stream = streamFor(userId, event.streamId);
    if (stream.owner != userId) {
        qCWarning(lcGateway) << "event of stream" << event.streamId << "from another user; dropped";
        return;
    }
    if (stream.terminal) {
        qCWarning(lcGateway) << "event after the end of stream" << event.streamId << "dropped";
        return;
    }
    if (stream.conversationId.isEmpty())
        stream.conversationId = event.conversationId;
    if (stream.messageId.isEmpty())
        stream.messageId = event.messageId;

    chat::StreamEvent logged = event;
    logged.conversationId = stream.conversationId;
    logged.messageId = stream.messageId;
    if (event.kind == chat::StreamEvent::Kind::Token) {
        stream.text += event.text;
        stream.tokenEnds.push_back(qint32(stream.text.size()));
        logged.sequence = qint64(stream.tokenEnds.size());
    } else {
        logged.sequence = qint64(stream.tokenEnds.size()) + 1;
        logged.text.clear();
        stream.terminal = logged;
        stream.finishedAtMs = clock_.elapsed();
        stream.hold.reset();
        if (endObserver_)
            endObserver_(userId, stream.model, logged);
    }
    deliver(event.streamId, logged);
    if (logged.kind != chat::StreamEvent::Kind::Token)
        forgetOldStreams();
}

void StreamHub::deliver(const QString& streamId, const chat::StreamEvent& event) {
    auto it = streams_.find(streamId);
    std::vector<quint64> ids;
    for (const auto& [id, sink] : it->subscribers)
        ids.push_back(id);
    // A sink may unsubscribe itself or others while being called: look each one up again.
    for (quint64 id : ids) {
        it = streams_.find(streamId);
        if (it == streams_.end())
            return;
        auto sub = it->subscribers.find(id);
        if (sub == it->subscribers.end())
            continue;
        Sink sink = sub->second;
        sink(event);
    }
    if (event.kind != chat::StreamEvent::Kind::Token) {
        it = streams_.find(streamId);
        if (it == streams_.end())
            return;
        for (const auto& [id, sink] : it->subscribers)
            subscriptionStream_.remove(id);
        it->subscribers.clear();
    }
}

bool StreamHub::isVisibleTo(const QString& userId, const QString& streamId) const {
    const auto it = streams_.constFind(streamId);
    return it != streams_.constEnd() && it->owner == userId;
}

bool StreamHub::isFinished(const QString& streamId) const {
    const auto it = streams_.constFind(streamId);
    return it != streams_.constEnd() && it->terminal.has_value();
}

chat::StreamEvent StreamHub::eventAt(const QString& streamId, const Stream& stream,
                                     qint64 id) const {
    if (id > qint64(stream.tokenEnds.size()))
        return *stream.terminal;
    const qint32 begin = id == 1 ? 0 : stream.tokenEnds[size_t(id - 2)];
    const qint32 end = stream.tokenEnds[size_t(id - 1)];
    chat::StreamEvent event;
    event.kind = chat::StreamEvent::Kind::Token;
    event.streamId = streamId;
    event.conversationId = stream.conversationId;
    event.messageId = stream.messageId;
    event.sequence = id;
    event.text = stream.text.mid(begin, end - begin);
    return event;
}

std::optional<quint64> StreamHub::subscribe(const QString& userId, const QString& streamId,
                                            qint64 afterId, Sink sink) {
    if (!isVisibleTo(userId, streamId))
        return std::nullopt;
    const quint64 subscription = nextSubscription_++;
    const Stream& stream = streams_[streamId];
    const qint64 last = qint64(stream.tokenEnds.size()) + (stream.terminal ? 1 : 0);
    // Sinks write to sockets and may unsubscribe, but never add events or streams: `stream`
    // stays valid through the replay.
    for (qint64 id = std::max<qint64>(afterId, 0) + 1; id <= last; ++id)
        sink(eventAt(streamId, stream, id));
    if (stream.terminal)
        return subscription;
    streams_[streamId].subscribers.emplace(subscription, std::move(sink));
    subscriptionStream_.insert(subscription, streamId);
    return subscription;
}

void StreamHub::unsubscribe(quint64 subscriptionId) {
    const auto it = subscriptionStream_.find(subscriptionId);
    if (it == subscriptionStream_.end())
        return;
    const auto stream = streams_.find(*it);
    if (stream != streams_.end())
        stream->subscribers.erase(subscriptionId);
    subscriptionStream_.erase(it);
}

void StreamHub::forgetOldStreams() {
    const qint64 now = clock_.elapsed();
    QHash<QString, std::vector<std::pair<qint64, QString>>> finishedByOwner;
    for (auto it = streams_.begin(); it != streams_.end();) {
        if (it->terminal && it->subscribers.empty() &&
            now - it->finishedAtMs > limits_.retainFinishedMs) {
            forget(it.key());
            it = streams_.erase(it);
            continue;
        }
        if (it->terminal && now - it->finishedAtMs >= limits_.minRetainMs)
            finishedByOwner[it->owner].emplace_back(it->finishedAtMs, it.key());
        ++it;
    }
    for (auto& finished : finishedByOwner) {
        if (int(finished.size()) <= limits_.maxFinishedPerUser)
            continue;
        std::sort(finished.begin(), finished.end());
        const size_t excess = finished.size() - size_t(limits_.maxFinishedPerUser);
        for (size_t i = 0; i < excess; ++i) {
            const auto it = streams_.find(finished[i].second);
            if (it->subscribers.empty()) {
                forget(it.key());
                streams_.erase(it);
            }
        }
    }
}

void StreamHub::forget(const QString& streamId) {
    // Enough to cover the resends a client can still make; the ids are all that is kept.
    constexpr size_t kRemembered = 4096;
    forgotten_.insert(streamId);
    forgottenOrder_.push_back(streamId);
    if (forgottenOrder_.size() > kRemembered) {
        forgotten_.remove(forgottenOrder_.front());
        forgottenOrder_.pop_front();
    }
}

}  // namespace parley::gateway
