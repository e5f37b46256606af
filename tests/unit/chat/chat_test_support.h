// Shared by the chat tests: waiting for a ChatService reply while the event loop runs, and
// collecting the stream events of answers.
#pragma once

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QHash>

#include <functional>
#include <memory>
#include <optional>

#include "chat/chat_service.h"

namespace parley::chat::testing {

// Runs the event loop until `done()` or `timeoutMs` passes; returns done().
inline bool spinUntil(const std::function<bool()>& done, int timeoutMs = 30000) {
    QElapsedTimer timer;
    timer.start();
    while (!done() && timer.elapsed() < timeoutMs) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    }
    return done();
}

// Calls `call` with a reply callback and waits for the reply.
template <class T>
Result<T> await(const std::function<void(Reply<T>)>& call, int timeoutMs = 30000) {
    auto got = std::make_shared<std::optional<Result<T>>>();
    call([got](Result<T> result) { got->emplace(std::move(result)); });
    if (!spinUntil([&] { return got->has_value(); }, timeoutMs)) {
        return makeError("test: no reply within " + std::to_string(timeoutMs) + " ms");
    }
    return std::move(**got);
}

inline QString errorText(const Error& e) {
    return QString::fromStdString(e.message);
}

// Every stream event a service emits, by stream id.
class StreamRecorder {
  public:
    explicit StreamRecorder(ChatService& service) {
        QObject::connect(
            &service, &ChatService::streamEvent, &service,
            [events = events_](const StreamEvent& e) { (*events)[e.streamId].push_back(e); });
    }

    const std::vector<StreamEvent>& events(const QString& streamId) const {
        return (*events_)[streamId];
    }
    bool finished(const QString& streamId) const {
        const auto& list = (*events_)[streamId];
        return !list.empty() && list.back().kind != StreamEvent::Kind::Token;
    }
    // The final event (Done or Error), after waiting for it.
    std::optional<StreamEvent> waitFinished(const QString& streamId, int timeoutMs = 60000) const {
        if (!spinUntil([&] { return finished(streamId); }, timeoutMs)) {
            return std::nullopt;
        }
        return (*events_)[streamId].back();
    }
    QString text(const QString& streamId) const {
        QString all;
        for (const StreamEvent& e : (*events_)[streamId]) {
            if (e.kind == StreamEvent::Kind::Token) {
                all += e.text;
            }
        }
        return all;
    }
    int tokenEvents(const QString& streamId) const {
        int n = 0;
        for (const StreamEvent& e : (*events_)[streamId]) {
            n += e.kind == StreamEvent::Kind::Token ? 1 : 0;
        }
        return n;
    }

  private:
    std::shared_ptr<QHash<QString, std::vector<StreamEvent>>> events_ =
        std::make_shared<QHash<QString, std::vector<StreamEvent>>>();
};

}  // namespace parley::chat::testing
