// Request rate limits per API key, per user and per client IP: one token bucket for each, all of
// which a request must pass. A refusal answers 429 with Retry-After; every answer carries
// x-ratelimit-{limit,remaining,reset}-requests for the tightest bucket.
#pragma once

#include <QHash>
#include <QString>

#include "gateway/limits/gateway_limits.h"
#include "gateway/limits/token_bucket.h"

namespace parley::gateway {

class RequestContext;
struct Principal;

class RateLimiter {
  public:
    explicit RateLimiter(const GatewayLimits& limits) : limits_(limits) {}

    struct Verdict {
        bool allowed = true;
        QString scope;  // "key", "user" or "ip": the bucket that decided
        double limitPerMinute = 0;
        double remaining = 0;
        double retryAfterSeconds = 0;
        double resetSeconds = 0;
    };

    // Takes one request from each bucket that applies (the key's and user's only when the
    // principal has them). Anonymous requests pass the IP bucket only.
    Verdict admit(const QString& ip, const Principal* principal,
                  TokenBucket::Clock::time_point now = TokenBucket::Clock::now());

    // Buckets kept in memory (idle full ones are dropped now and then).
    int bucketCount() const { return static_cast<int>(buckets_.size()); }

  private:
    TokenBucket::Decision take(const QString& key, double perMinute,
                               TokenBucket::Clock::time_point now);
    void dropIdle(TokenBucket::Clock::time_point now);

    GatewayLimits limits_;
    QHash<QString, TokenBucket> buckets_;
    int admitted_ = 0;
};

// Adds the x-ratelimit-* headers (and Retry-After when refused) to the request's answer.
void addRateLimitHeaders(RequestContext& context, const RateLimiter::Verdict& verdict);

// OpenAI's duration format for reset headers: "850ms", "12s", "6m0s".
QByteArray formatDuration(double seconds);

}  // namespace parley::gateway
