#include "serving/token_stream.h"

#include <condition_variable>
#include <deque>
#include <mutex>

namespace parley::serving {

const char* completionReasonName(CompletionReason reason) {
    switch (reason) {
        case CompletionReason::Stop:
            return "stop";
        case CompletionReason::Length:
            return "length";
        case CompletionReason::Cancelled:
            return "cancelled";
        case CompletionReason::Error:
            return "error";
    }
    return "?";
}

struct TokenStream::State {
    mutable std::mutex mutex;
    std::condition_variable arrived;
    std::deque<StreamEvent> events;
    bool finishTaken = false;
};

TokenStream::TokenStream() : state_(std::make_shared<State>()) {}

StreamCallback TokenStream::callback() const {
    return [state = state_](StreamEvent&& event) {
        {
            const std::lock_guard lock(state->mutex);
            state->events.push_back(std::move(event));
        }
        state->arrived.notify_one();
    };
}

std::optional<StreamEvent> TokenStream::next(std::chrono::milliseconds timeout) {
    std::unique_lock lock(state_->mutex);
    if (!state_->arrived.wait_for(lock, timeout, [&] { return !state_->events.empty(); })) {
        return std::nullopt;
    }
    StreamEvent event = std::move(state_->events.front());
    state_->events.pop_front();
    if (event.kind == StreamEvent::Kind::Finish) {
        state_->finishTaken = true;
    }
    return event;
}

bool TokenStream::finished() const {
    const std::lock_guard lock(state_->mutex);
    return state_->finishTaken;
}

}  // namespace parley::serving
