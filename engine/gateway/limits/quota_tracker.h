// Per-user quotas checked before a request reaches the scheduler: prompt+completion tokens per
// UTC day and generations in flight at once. Token use starts from the usage ledger's total for
// today (loaded the first time a user is seen) and grows as answers finish.
#pragma once

#include <QHash>
#include <QString>

#include <functional>
#include <memory>
#include <variant>

#include "gateway/http/http_message.h"
#include "gateway/limits/gateway_limits.h"

namespace parley::gateway {

struct Principal;

struct QuotaRefusal {
    QString code;  // "daily_token_quota_exceeded", "too_many_concurrent_streams"
    QString message;
    qint64 retryAfterSeconds = 1;
    qint64 limit = 0;
    qint64 remaining = 0;
};

// A 429 in OpenAI's shape with Retry-After and x-ratelimit-*-tokens headers.
HttpResponse quotaRefusalResponse(const QuotaRefusal& refusal);

class QuotaTracker {
  public:
    // Tokens `userId` used since `sinceMs` (epoch ms), from the usage ledger.
    using UsageLoader = std::function<qint64(const QString& userId, qint64 sinceMs)>;

    QuotaTracker(const GatewayLimits& limits, UsageLoader loader);

    // Holds one of a user's concurrent streams; destroying it gives the slot back.
    class StreamSlot {
      public:
        ~StreamSlot();
        StreamSlot(const StreamSlot&) = delete;
        StreamSlot& operator=(const StreamSlot&) = delete;

      private:
        friend class QuotaTracker;
        struct Shared;
        StreamSlot(std::shared_ptr<Shared> shared, QString userId);
        std::shared_ptr<Shared> shared_;
        QString userId_;
    };
    using Slot = std::shared_ptr<StreamSlot>;

    // Checks the user's daily tokens and concurrent streams at `nowMs` (epoch ms).
    std::variant<Slot, QuotaRefusal> acquireStream(const Principal& principal, qint64 nowMs);
    void chargeTokens(const QString& userId, qint64 tokens, qint64 nowMs);
    qint64 tokensUsedToday(const QString& userId, qint64 nowMs);
    int activeStreams(const QString& userId) const;

    static qint64 nowMs();

  private:
    struct UserState {
        qint64 day = -1;  // days since the epoch (UTC) that tokensToday counts
        qint64 tokensToday = 0;
        int activeStreams = 0;
    };
    UserState& stateFor(const QString& userId, qint64 nowMs);

    GatewayLimits limits_;
    UsageLoader loader_;
    std::shared_ptr<StreamSlot::Shared> shared_;
};

}  // namespace parley::gateway
