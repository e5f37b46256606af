#include "gateway/limits/usage_meter.h"

#include "gateway/limits/quota_tracker.h"
#include "gateway/logging.h"

namespace parley::gateway {

UsageMeter::UsageMeter(store::UsageLedgerRepository& ledger, QuotaTracker& quotas, QObject* parent)
    : QObject(parent), ledger_(ledger), quotas_(quotas) {
    timer_.setInterval(250);
    timer_.setSingleShot(true);
    connect(&timer_, &QTimer::timeout, this, &UsageMeter::flush);
}

UsageMeter::~UsageMeter() {
    flush();
}

void UsageMeter::record(store::LedgerEntry entry) {
    if (entry.createdAt == 0)
        entry.createdAt = QuotaTracker::nowMs();
    const qint64 tokens = entry.promptTokens + entry.completionTokens;
    if (tokens > 0 && !entry.userId.isEmpty())
        quotas_.chargeTokens(entry.userId, tokens, entry.createdAt);
    pending_.push_back(std::move(entry));
    if (pending_.size() >= 256)
        flush();
    else if (!timer_.isActive())
        timer_.start();
}

void UsageMeter::flush() {
    timer_.stop();
    if (pending_.empty())
        return;
    std::vector<store::LedgerEntry> rows;
    rows.swap(pending_);
    if (Status written = ledger_.append(rows); !written) {
        qCCritical(lcGateway).noquote()
            << "usage ledger:" << QString::fromStdString(written.error().message);
        return;
    }
    written_ += static_cast<qint64>(rows.size());
}

}  // namespace parley::gateway
