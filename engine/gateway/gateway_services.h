// What route handlers get besides the request: the models, accounts, limits, usage ledger and
// metrics of this gateway. Built once by HttpGateway; every pointer outlives the routes.
#pragma once

#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <mutex>

#include "gateway/http/http_limits.h"
#include "gateway/limits/gateway_limits.h"

namespace parley::serving {
class ModelRegistry;
}

namespace parley::gateway {

class AccountService;
class GatewayMetrics;
class QuotaTracker;
class UsageMeter;

struct GatewayServices {
    // Lives on the gateway thread: the context object for timers of route handlers.
    QObject* loop = nullptr;
    serving::ModelRegistry* models = nullptr;
    AccountService* accounts = nullptr;
    QuotaTracker* quotas = nullptr;
    UsageMeter* usage = nullptr;
    GatewayMetrics* metrics = nullptr;
    QString dataDir;
    QString databasePath;  // <dataDir>/parley.db: the store (users, keys, conversations, usage)
    HttpLimits httpLimits;
    GatewayLimits limits;

    // Runs `work` on the gateway thread (from an engine callback, a worker, ...). Safe from any
    // thread at any time: once the gateway is destroyed, work is dropped.
    void post(std::function<void()> work) const;

    struct PostTarget {
        std::mutex mutex;
        QObject* loop = nullptr;  // null once the gateway is gone
    };
    std::shared_ptr<PostTarget> postTarget;
};

}  // namespace parley::gateway
