// What a request's consumer receives: text deltas, then exactly one finish event.
//
// The engine delivers events through a StreamCallback invoked on its own thread, between steps.
// The callback MUST NOT block (no waiting on locks held by slow code, no I/O that can stall, no
// calls back into the engine that wait) and must not throw: every other request's next token
// waits for it. TokenStream is the ready-made non-blocking callback: it only appends to a queue,
// and the consumer takes events at its own pace with next(timeout).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace parley::serving {

enum class CompletionReason { Stop, Length, Cancelled, Error };
const char* completionReasonName(CompletionReason reason);

struct Usage {
    int32_t promptTokens = 0;
    int32_t completionTokens = 0;  // tokens sampled, an end-of-generation token included
};

// All measured from submit(); 0 when the point was never reached (e.g. cancelled while queued).
struct Timings {
    double queueMs = 0;  // until the request was first scheduled
    double ttftMs = 0;   // until its first token was sampled
    double totalMs = 0;  // until it finished
};

struct StreamEvent {
    enum class Kind { Text, Finish };
    Kind kind = Kind::Text;
    std::string text;  // Text: complete UTF-8 characters, never part of a stop string
    // Finish only:
    CompletionReason reason = CompletionReason::Stop;
    std::string error;  // why, for CompletionReason::Error
    Usage usage;
    Timings timings;
};

using StreamCallback = std::function<void(StreamEvent&&)>;

// Thread-safe, unbounded queue of one request's events. Its memory is bounded by the request's
// token limit, so the engine never has to wait for the reader. Copies share the same queue.
class TokenStream {
  public:
    TokenStream();

    // Pushes into this stream; stays valid even after the TokenStream itself is destroyed.
    StreamCallback callback() const;

    // The next event, or nullopt when none arrived within `timeout`.
    std::optional<StreamEvent> next(std::chrono::milliseconds timeout);
    // Whether the finish event has been taken by next().
    bool finished() const;

  private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace parley::serving
