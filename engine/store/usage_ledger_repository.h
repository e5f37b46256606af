// The gateway's append-only usage ledger: one row per HTTP request (who, which route, status,
// model, input/output tokens, latency). The table's triggers refuse updates and deletes.
#pragma once

#include <QString>

#include <vector>

#include "common/result.h"

namespace parley::store {

class Database;

struct LedgerEntry {
    qint64 createdAt = 0;  // epoch ms
    QString userId;        // empty: not authenticated
    QString apiKeyId;
    QString method;
    QString route;  // the route pattern, e.g. /v1/chat/completions
    int status = 0;
    QString model;
    qint64 promptTokens = 0;
    qint64 completionTokens = 0;
    qint64 latencyMs = 0;
};

class UsageLedgerRepository {
  public:
    explicit UsageLedgerRepository(Database& db) : db_(db) {}

    // Appends all entries in one transaction.
    Status append(const std::vector<LedgerEntry>& entries);
    // Prompt + completion tokens of `userId` since `sinceMs`.
    Result<qint64> tokensSince(const QString& userId, qint64 sinceMs);
    Result<std::vector<LedgerEntry>> entriesOf(const QString& userId, int limit);

  private:
    Database& db_;
};

}  // namespace parley::store
