#include "gateway/limits/token_bucket.h"

#include <algorithm>

namespace parley::gateway {

TokenBucket::TokenBucket(double capacity, double ratePerSecond, Clock::time_point now)
    : capacity_(capacity), ratePerSecond_(ratePerSecond), tokens_(capacity), updated_(now) {}

double TokenBucket::available(Clock::time_point now) const {
    const double elapsed = std::chrono::duration<double>(now - updated_).count();
    return std::min(capacity_, tokens_ + std::max(0.0, elapsed) * ratePerSecond_);
}

TokenBucket::Decision TokenBucket::take(Clock::time_point now, double cost) {
    tokens_ = available(now);
    updated_ = std::max(updated_, now);
    Decision decision;
    if (tokens_ >= cost) {
        tokens_ -= cost;
        decision.allowed = true;
    } else {
        decision.retryAfterSeconds =
            ratePerSecond_ > 0 ? (cost - tokens_) / ratePerSecond_ : 24.0 * 3600;
    }
    decision.remaining = tokens_;
    decision.secondsUntilFull =
        ratePerSecond_ > 0 ? (capacity_ - tokens_) / ratePerSecond_ : 24.0 * 3600;
    return decision;
}

}  // namespace parley::gateway
