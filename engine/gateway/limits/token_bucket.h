// A token bucket: holds up to `capacity` tokens and gains `ratePerSecond` of them continuously;
// an action costs tokens and is refused when the bucket holds too few. Time is passed in, so
// the arithmetic is testable without waiting.
#pragma once

#include <chrono>

namespace parley::gateway {

class TokenBucket {
  public:
    using Clock = std::chrono::steady_clock;

    struct Decision {
        bool allowed = false;
        double remaining = 0;          // tokens left after this action (when allowed)
        double retryAfterSeconds = 0;  // until enough tokens are back (when refused)
        double secondsUntilFull = 0;   // x-ratelimit-reset
    };

    TokenBucket(double capacity, double ratePerSecond, Clock::time_point now);

    Decision take(Clock::time_point now, double cost = 1);
    // Tokens after refilling up to `now` (does not change the bucket).
    double available(Clock::time_point now) const;
    double capacity() const { return capacity_; }

  private:
    double capacity_;
    double ratePerSecond_;
    double tokens_;
    Clock::time_point updated_;
};

}  // namespace parley::gateway
