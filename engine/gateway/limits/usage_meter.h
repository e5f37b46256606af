// Meters every request into the append-only usage ledger. Rows are buffered and written in one
// transaction every 250 ms (or every 256 rows, and at shutdown), so metering costs the request
// path no disk wait. Also charges generated tokens to the user's daily quota.
#pragma once

#include <QObject>
#include <QTimer>

#include <vector>

#include "store/usage_ledger_repository.h"

namespace parley::gateway {

class QuotaTracker;

class UsageMeter : public QObject {
    Q_OBJECT
  public:
    UsageMeter(store::UsageLedgerRepository& ledger, QuotaTracker& quotas,
               QObject* parent = nullptr);
    ~UsageMeter() override;

    // `entry.createdAt` 0 means now. Tokens are charged to the user's quota at once.
    void record(store::LedgerEntry entry);
    // Writes what is buffered; errors are logged (the ledger must not take the server down).
    void flush();
    qint64 rowsWritten() const { return written_; }

  private:
    store::UsageLedgerRepository& ledger_;
    QuotaTracker& quotas_;
    std::vector<store::LedgerEntry> pending_;
    QTimer timer_;
    qint64 written_ = 0;
};

}  // namespace parley::gateway
