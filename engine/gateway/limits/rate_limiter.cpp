#include "gateway/limits/rate_limiter.h"

#include <cmath>

#include "gateway/auth/principal.h"
#include "gateway/http/request_context.h"

namespace parley::gateway {

TokenBucket::Decision RateLimiter::take(const QString& key, double perMinute,
                                        TokenBucket::Clock::time_point now) {
    auto it = buckets_.find(key);
    if (it == buckets_.end())
        it = buckets_.insert(key, TokenBucket(std::max(1.0, limits_.burst), perMinute / 60.0, now));
    return it->take(now);
}

RateLimiter::Verdict RateLimiter::admit(const QString& ip, const Principal* principal,
                                        TokenBucket::Clock::time_point now) {
    if (++admitted_ % 4096 == 0)
        dropIdle(now);
    struct Scope {
        QString name;
        QString key;
        double perMinute;
    };
    std::vector<Scope> scopes;
    if (principal && !principal->apiKeyId.isEmpty())
        scopes.push_back({"key", "key:" + principal->apiKeyId, limits_.keyRequestsPerMinute});
    if (principal && !principal->userId.isEmpty())
        scopes.push_back({"user", "user:" + principal->userId, limits_.userRequestsPerMinute});
    scopes.push_back({"ip", "ip:" + ip, limits_.ipRequestsPerMinute});

    Verdict verdict;
    bool first = true;
    for (const Scope& scope : scopes) {
        const TokenBucket::Decision decision = take(scope.key, scope.perMinute, now);
        if (!decision.allowed) {
            verdict.allowed = false;
            verdict.scope = scope.name;
            verdict.limitPerMinute = scope.perMinute;
            verdict.remaining = 0;
            verdict.retryAfterSeconds = decision.retryAfterSeconds;
            verdict.resetSeconds = decision.secondsUntilFull;
            return verdict;
        }
        if (first || decision.remaining < verdict.remaining) {
            verdict.scope = scope.name;
            verdict.limitPerMinute = scope.perMinute;
            verdict.remaining = decision.remaining;
            verdict.resetSeconds = decision.secondsUntilFull;
            first = false;
        }
    }
    return verdict;
}

void RateLimiter::dropIdle(TokenBucket::Clock::time_point now) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        if (it->available(now) >= it->capacity())
            it = buckets_.erase(it);
        else
            ++it;
    }
}

QByteArray formatDuration(double seconds) {
    if (seconds < 1)
        return QByteArray::number(static_cast<int>(std::ceil(seconds * 1000))) + "ms";
    const auto whole = static_cast<qint64>(std::ceil(seconds));
    if (whole < 60)
        return QByteArray::number(whole) + "s";
    return QByteArray::number(whole / 60) + "m" + QByteArray::number(whole % 60) + "s";
}

void addRateLimitHeaders(RequestContext& context, const RateLimiter::Verdict& verdict) {
    context.addResponseHeader("x-ratelimit-limit-requests",
                              QByteArray::number(static_cast<qint64>(verdict.limitPerMinute)));
    context.addResponseHeader("x-ratelimit-remaining-requests",
                              QByteArray::number(static_cast<qint64>(verdict.remaining)));
    context.addResponseHeader("x-ratelimit-reset-requests", formatDuration(verdict.resetSeconds));
    if (!verdict.allowed)
        context.addResponseHeader("retry-after", QByteArray::number(std::max<qint64>(
                                                     1, std::ceil(verdict.retryAfterSeconds))));
}

}  // namespace parley::gateway
