// Token buckets, the per key/user/IP rate limiter and the per-user quotas, with time passed in.
#include <QtTest>

#include "gateway/auth/principal.h"
#include "gateway/limits/quota_tracker.h"
#include "gateway/limits/rate_limiter.h"
#include "gateway/limits/token_bucket.h"

using namespace parley::gateway;
using Clock = TokenBucket::Clock;
using std::chrono::milliseconds;

namespace {

constexpr qint64 kDayMs = 24 * 3600 * 1000;

Principal member(const QString& id, const QString& key = "key-1") {
    Principal p;
    p.userId = id;
    p.apiKeyId = key;
    return p;
}

}  // namespace

class TestGatewayLimits : public QObject {
    Q_OBJECT
  private slots:
    void bucketAllowsBurstThenRefuses() {
        const auto t0 = Clock::now();
        TokenBucket bucket(3, 1.0, t0);  // 3 at once, then one per second
        for (int i = 0; i < 3; ++i) {
            const auto d = bucket.take(t0);
            QVERIFY(d.allowed);
            QCOMPARE(d.remaining, 2.0 - i);
        }
        const auto refused = bucket.take(t0);
        QVERIFY(!refused.allowed);
        QCOMPARE(refused.retryAfterSeconds, 1.0);
        QCOMPARE(refused.secondsUntilFull, 3.0);
    }

    void bucketRefillsWithTime() {
        const auto t0 = Clock::now();
        TokenBucket bucket(2, 4.0, t0);  // 4 per second
        QVERIFY(bucket.take(t0).allowed);
        QVERIFY(bucket.take(t0).allowed);
        QVERIFY(!bucket.take(t0).allowed);
        const auto quarter = bucket.take(t0 + milliseconds(250));
        QVERIFY(quarter.allowed);
        QVERIFY(!bucket.take(t0 + milliseconds(250)).allowed);
        // Never beyond capacity however long it rests.
        QCOMPARE(bucket.available(t0 + std::chrono::hours(1)), 2.0);
        const auto half = bucket.take(t0 + milliseconds(300));
        QVERIFY(!half.allowed);
        QVERIFY(qAbs(half.retryAfterSeconds - 0.2) < 1e-9);
    }

    void bucketIgnoresTimeGoingBackwards() {
        const auto t0 = Clock::now();
        TokenBucket bucket(1, 1.0, t0);
        QVERIFY(bucket.take(t0).allowed);
        QVERIFY(!bucket.take(t0 - std::chrono::seconds(10)).allowed);
    }

    void limiterChecksKeyUserAndIp() {
        GatewayLimits limits;
        limits.burst = 2;
        limits.keyRequestsPerMinute = 60;
        limits.userRequestsPerMinute = 600;
        limits.ipRequestsPerMinute = 600;
        RateLimiter limiter(limits);
        const auto t0 = Clock::now();
        const Principal a = member("alice", "key-a");
        QVERIFY(limiter.admit("10.0.0.1", &a, t0).allowed);
        QVERIFY(limiter.admit("10.0.0.1", &a, t0).allowed);
        const auto refused = limiter.admit("10.0.0.1", &a, t0);
        QVERIFY(!refused.allowed);
        QCOMPARE(refused.scope, QString("key"));
        QCOMPARE(refused.limitPerMinute, 60.0);
        QCOMPARE(refused.retryAfterSeconds, 1.0);
        // Another key of the same user has a fresh key bucket, but the user's is empty too.
        const Principal a2 = member("alice", "key-a2");
        const auto userRefused = limiter.admit("10.0.0.2", &a2, t0);
        QVERIFY(!userRefused.allowed);
        QCOMPARE(userRefused.scope, QString("user"));
        // A second later both have one request again.
        QVERIFY(limiter.admit("10.0.0.2", &a2, t0 + std::chrono::seconds(1)).allowed);
        // Someone else from another address is not affected.
        const Principal b = member("bob", "key-b");
        QVERIFY(limiter.admit("10.0.0.3", &b, t0).allowed);
    }

    void limiterThrottlesAnonymousByIp() {
        GatewayLimits limits;
        limits.burst = 3;
        RateLimiter limiter(limits);
        const auto t0 = Clock::now();
        for (int i = 0; i < 3; ++i)
            QVERIFY(limiter.admit("192.0.2.7", nullptr, t0).allowed);
        const auto refused = limiter.admit("192.0.2.7", nullptr, t0);
        QVERIFY(!refused.allowed);
        QCOMPARE(refused.scope, QString("ip"));
        QVERIFY(limiter.admit("192.0.2.8", nullptr, t0).allowed);
    }

    void limiterForgetsIdleBuckets() {
        GatewayLimits limits;
        RateLimiter limiter(limits);
        const auto t0 = Clock::now();
        for (int i = 0; i < 5000; ++i)
            limiter.admit(QString("10.1.%1.%2").arg(i / 256).arg(i % 256), nullptr, t0);
        QVERIFY(limiter.bucketCount() > 4000);
        for (int i = 0; i < 4096; ++i)
            limiter.admit("10.9.9.9", nullptr, t0 + std::chrono::hours(1) + milliseconds(i));
        QVERIFY2(limiter.bucketCount() < 100, qPrintable(QString::number(limiter.bucketCount())));
    }

    void durationsInOpenAiFormat() {
        QCOMPARE(formatDuration(0.012), QByteArray("12ms"));
        QCOMPARE(formatDuration(1.0), QByteArray("1s"));
        QCOMPARE(formatDuration(12.2), QByteArray("13s"));
        QCOMPARE(formatDuration(360), QByteArray("6m0s"));
    }

    void quotaLimitsConcurrentStreams() {
        GatewayLimits limits;
        limits.maxConcurrentStreams = 2;
        QuotaTracker quotas(limits, {});
        const qint64 now = 100 * kDayMs;
        const Principal alice = member("alice");
        auto first = quotas.acquireStream(alice, now);
        auto second = quotas.acquireStream(alice, now);
        QVERIFY(std::holds_alternative<QuotaTracker::Slot>(first));
        QVERIFY(std::holds_alternative<QuotaTracker::Slot>(second));
        QCOMPARE(quotas.activeStreams("alice"), 2);
        auto third = quotas.acquireStream(alice, now);
        QVERIFY(std::holds_alternative<QuotaRefusal>(third));
        QCOMPARE(std::get<QuotaRefusal>(third).code, QString("too_many_concurrent_streams"));
        QVERIFY(
            std::holds_alternative<QuotaTracker::Slot>(quotas.acquireStream(member("bob"), now)));
        first = QuotaRefusal{};  // drops alice's first slot
        QCOMPARE(quotas.activeStreams("alice"), 1);
        QVERIFY(std::holds_alternative<QuotaTracker::Slot>(quotas.acquireStream(alice, now)));
    }

    void userOwnLimitsWin() {
        GatewayLimits limits;
        limits.maxConcurrentStreams = 1;
        limits.dailyTokenQuota = 10;
        QuotaTracker quotas(limits, {});
        Principal vip = member("vip");
        vip.maxConcurrentStreams = 3;
        vip.dailyTokenQuota = 1000;
        const qint64 now = 5 * kDayMs;
        quotas.chargeTokens("vip", 500, now);
        std::vector<QuotaTracker::Slot> held;
        for (int i = 0; i < 3; ++i) {
            auto slot = quotas.acquireStream(vip, now);
            QVERIFY(std::holds_alternative<QuotaTracker::Slot>(slot));
            held.push_back(std::get<QuotaTracker::Slot>(slot));
        }
        QVERIFY(std::holds_alternative<QuotaRefusal>(quotas.acquireStream(vip, now)));
    }

    void dailyTokensStartFromTheLedgerAndResetAtMidnight() {
        GatewayLimits limits;
        limits.dailyTokenQuota = 1000;
        QList<qint64> asked;
        QuotaTracker quotas(limits, [&](const QString& user, qint64 since) -> qint64 {
            asked.append(since);
            return user == "alice" ? 990 : 0;
        });
        const qint64 day = 20000;
        const qint64 noon = day * kDayMs + 12 * 3600 * 1000;
        const Principal alice = member("alice");
        QVERIFY(std::holds_alternative<QuotaTracker::Slot>(quotas.acquireStream(alice, noon)));
        QCOMPARE(asked, QList<qint64>{day * kDayMs});  // loaded once, from the start of the day
        quotas.chargeTokens("alice", 10, noon + 1);
        QCOMPARE(quotas.tokensUsedToday("alice", noon + 2), 1000);
        auto refused = quotas.acquireStream(alice, noon + 3);
        QVERIFY(std::holds_alternative<QuotaRefusal>(refused));
        const QuotaRefusal r = std::get<QuotaRefusal>(refused);
        QCOMPARE(r.code, QString("daily_token_quota_exceeded"));
        QCOMPARE(r.retryAfterSeconds, 12 * 3600);  // until 00:00 UTC
        QCOMPARE(r.limit, 1000);
        QCOMPARE(asked.size(), 1);
        // Next day: the ledger is asked again (from the new midnight).
        const qint64 tomorrow = (day + 1) * kDayMs + 60'000;
        auto next = quotas.acquireStream(alice, tomorrow);
        QCOMPARE(asked.size(), 2);
        QCOMPARE(asked.last(), (day + 1) * kDayMs);
        QVERIFY(std::holds_alternative<QuotaTracker::Slot>(next));
    }

    void refusalResponse() {
        const HttpResponse response = quotaRefusalResponse(
            QuotaRefusal{"daily_token_quota_exceeded", "used up", 3600, 1000, 0});
        QCOMPARE(response.status, 429);
        const auto header = [&](const QByteArray& name) {
            for (const auto& [key, value] : response.headers)
                if (key == name)
                    return value;
            return QByteArray();
        };
        QCOMPARE(header("retry-after"), QByteArray("3600"));
        QCOMPARE(header("x-ratelimit-limit-tokens"), QByteArray("1000"));
        QCOMPARE(header("x-ratelimit-remaining-tokens"), QByteArray("0"));
        const QJsonObject error =
            QJsonDocument::fromJson(response.body).object()["error"].toObject();
        QCOMPARE(error["type"].toString(), QString("rate_limit_error"));
        QCOMPARE(error["code"].toString(), QString("daily_token_quota_exceeded"));
    }
};

QTEST_GUILESS_MAIN(TestGatewayLimits)
#include "test_gateway_limits.moc"
