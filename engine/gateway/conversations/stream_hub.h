// StreamHub: the gateway's record of every answer stream it has started, so that a client can
// (re)attach to a stream at any point: over SSE with Last-Event-ID, or over the WebSocket with
// "resume". Each stream has one owner (the user whose ChatService produced it); another user's
// stream id is "not found" here, exactly like an unknown one.
//
// The log of a stream is its answer text plus where each token event ends in it, and the final
// done/error event: every event can be replayed exactly, and the memory of a stream is bounded by
// the answer's own token limit (text + 4 bytes per token). Finished streams are kept for
// `retainFinishedMs`, and at most `maxFinishedPerUser` per user once older than `minRetainMs`
// (so the streams kept are bounded by what the engines can finish in that time), then forgotten:
// a later resume of such a stream gets 404, and its final text is in the conversation.
//
// Event ids are the hub's own, from 1 and without gaps per stream: token events 1..n, then the
// done or error event n+1. Subscribers are called synchronously on the hub's thread.
#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QString>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "chat/chat_service.h"

namespace parley::gateway {

struct StreamHubLimits {
    qint64 retainFinishedMs = 10 * 60 * 1000;  // then a finished stream is forgotten
    int maxFinishedPerUser = 64;               // beyond it the oldest finished ones go...
    qint64 minRetainMs = 60 * 1000;            // ...but none younger than this
};

class StreamHub {
  public:
    using Sink = std::function<void(const chat::StreamEvent&)>;

    // Runs once per stream with its done/error event (the usage ledger).
    using EndObserver = std::function<void(const QString& userId, const QString& model,
                                           const chat::StreamEvent& end)>;

    explicit StreamHub(StreamHubLimits limits = {});

    void setEndObserver(EndObserver observer) { endObserver_ = std::move(observer); }

    // A stream accepted for `userId` (called when send/edit/regenerate answers). Events may have
    // arrived before it; both paths create the record. A stream the hub already forgot (a
    // repeated send of an old message) is not made again: it stays "not found".
    // `hold` (e.g. the user's concurrent-stream quota slot) is kept until the stream ends.
    void open(const QString& userId, const QString& conversationId,
              const chat::StreamStarted& started, std::shared_ptr<void> hold = {});
    // An event of one of `userId`'s streams, as emitted by the user's ChatService (its own
    // sequence number is replaced by the hub's event id).
    void record(const QString& userId, const chat::StreamEvent& event);

    bool contains(const QString& streamId) const { return streams_.contains(streamId); }
    bool isVisibleTo(const QString& userId, const QString& streamId) const;
    bool isFinished(const QString& streamId) const;

    // Replays the events with id > afterId, then forwards live ones until the stream ends (the
    // last call to `sink` is the done/error event; the subscription ends by itself then).
    // Returns the subscription id, or nullopt when the stream is unknown or not `userId`'s.
    std::optional<quint64> subscribe(const QString& userId, const QString& streamId, qint64 afterId,
                                     Sink sink);
    void unsubscribe(quint64 subscriptionId);

    int streamCount() const { return int(streams_.size()); }
    int subscriberCount() const { return int(subscriptionStream_.size()); }

  private:
    struct Stream {
        QString owner;
        QString conversationId;
        QString messageId;
        QString model;
        std::shared_ptr<void> hold;
        QString text;
        std::vector<qint32> tokenEnds;  // tokenEnds[k] = end of event k+1's text in `text`
        std::optional<chat::StreamEvent> terminal;
        qint64 finishedAtMs = 0;
        std::map<quint64, Sink> subscribers;
    };

    Stream& streamFor(const QString& userId, const QString& streamId);
    chat::StreamEvent eventAt(const QString& streamId, const Stream& stream, qint64 id) const;
    void deliver(const QString& streamId, const chat::StreamEvent& event);
    void forgetOldStreams();
    void forget(const QString& streamId);

    StreamHubLimits limits_;
    EndObserver endObserver_;
    QElapsedTimer clock_;
    QHash<QString, Stream> streams_;
    QHash<quint64, QString> subscriptionStream_;
    QSet<QString> forgotten_;  // the latest forgotten ids, oldest first in forgottenOrder_
    std::deque<QString> forgottenOrder_;
    quint64 nextSubscription_ = 1;
};

}  // namespace parley::gateway
