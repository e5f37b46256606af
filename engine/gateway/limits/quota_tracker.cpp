#include "gateway/limits/quota_tracker.h"

#include <QDateTime>

#include "gateway/auth/principal.h"
#include "gateway/http/api_error.h"

namespace parley::gateway {

namespace {
constexpr qint64 kDayMs = 24 * 3600 * 1000;
}

struct QuotaTracker::StreamSlot::Shared {
    QHash<QString, UserState> users;
};

QuotaTracker::StreamSlot::StreamSlot(std::shared_ptr<Shared> shared, QString userId)
    : shared_(std::move(shared)), userId_(std::move(userId)) {}

QuotaTracker::StreamSlot::~StreamSlot() {
    auto it = shared_->users.find(userId_);
    if (it != shared_->users.end() && it->activeStreams > 0)
        --it->activeStreams;
}

QuotaTracker::QuotaTracker(const GatewayLimits& limits, UsageLoader loader)
    : limits_(limits),
      loader_(std::move(loader)),
      shared_(std::make_shared<StreamSlot::Shared>()) {}

qint64 QuotaTracker::nowMs() {
    return QDateTime::currentMSecsSinceEpoch();
}

QuotaTracker::UserState& QuotaTracker::stateFor(const QString& userId, qint64 nowMs) {
    UserState& state = shared_->users[userId];
    const qint64 day = nowMs / kDayMs;
    if (state.day != day) {
        state.day = day;
        state.tokensToday = loader_ ? loader_(userId, day * kDayMs) : 0;
    }
    return state;
}

std::variant<QuotaTracker::Slot, QuotaRefusal> QuotaTracker::acquireStream(
    const Principal& principal, qint64 nowMs) {
    UserState& state = stateFor(principal.userId, nowMs);
    const qint64 dailyQuota =
        principal.dailyTokenQuota > 0 ? principal.dailyTokenQuota : limits_.dailyTokenQuota;
    const int maxStreams = principal.maxConcurrentStreams > 0 ? principal.maxConcurrentStreams
                                                              : limits_.maxConcurrentStreams;
    if (state.tokensToday >= dailyQuota) {
        const qint64 untilMidnight = ((nowMs / kDayMs + 1) * kDayMs - nowMs + 999) / 1000;
        return QuotaRefusal{QStringLiteral("daily_token_quota_exceeded"),
                            QStringLiteral("daily token quota of %1 tokens used up; it resets at "
                                           "00:00 UTC")
                                .arg(dailyQuota),
                            untilMidnight, dailyQuota, 0};
    }
    if (state.activeStreams >= maxStreams) {
        return QuotaRefusal{
            QStringLiteral("too_many_concurrent_streams"),
            QStringLiteral("%1 generations already running for this user (the limit)")
                .arg(maxStreams),
            1, dailyQuota, dailyQuota - state.tokensToday};
    }
    ++state.activeStreams;
    return Slot(new StreamSlot(shared_, principal.userId));
}

void QuotaTracker::chargeTokens(const QString& userId, qint64 tokens, qint64 nowMs) {
    stateFor(userId, nowMs).tokensToday += tokens;
}

qint64 QuotaTracker::tokensUsedToday(const QString& userId, qint64 nowMs) {
    return stateFor(userId, nowMs).tokensToday;
}

int QuotaTracker::activeStreams(const QString& userId) const {
    return shared_->users.value(userId).activeStreams;
}

HttpResponse quotaRefusalResponse(const QuotaRefusal& refusal) {
    HttpResponse response = apiError(429, error_type::kRateLimit, refusal.code, refusal.message);
    response
        .withHeader("retry-after",
                    QByteArray::number(std::max<qint64>(1, refusal.retryAfterSeconds)))
        .withHeader("x-ratelimit-limit-tokens", QByteArray::number(refusal.limit))
        .withHeader("x-ratelimit-remaining-tokens", QByteArray::number(refusal.remaining));
    return response;
}

}  // namespace parley::gateway
