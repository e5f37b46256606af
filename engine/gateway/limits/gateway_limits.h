// Limits above the transport: message sizes, rate limits and per-user quotas. Defaults suit one
// team on one machine; parley-server flags override them.
#pragma once

#include <QtGlobal>

namespace parley::gateway {

struct GatewayLimits {
    int maxMessageChars = 32 * 1024;  // one message's content
    int maxMessages = 256;            // messages in one chat request
    int maxCompletionTokens = 4096;   // max_tokens ceiling
    // Token buckets: sustained requests per minute and the burst allowed above it.
    double keyRequestsPerMinute = 600;
    double userRequestsPerMinute = 1200;
    double ipRequestsPerMinute = 1200;
    double burst = 60;
    // Per-user quotas (a user's own settings win when set).
    qint64 dailyTokenQuota = 2'000'000;  // prompt + completion tokens per UTC day
    int maxConcurrentStreams = 16;       // generations in flight per user
    int shutdownGraceMs = 10'000;        // open streams get this long to finish on SIGTERM
    qint64 sessionTtlSeconds = 24 * 3600;
};

}  // namespace parley::gateway
