// One usage row per model call (answers, titles, summaries), for quotas and the usage view.
#pragma once

#include <QString>

#include "common/result.h"

namespace parley::store {

class Database;

struct UsageRecord {
    QString userId;
    QString conversationId;  // empty: none
    QString messageId;       // empty: none (titles, summaries)
    QString kind;            // answer, title or summary
    QString model;
    qint64 promptTokens = 0;
    qint64 completionTokens = 0;
};

struct UsageTotals {
    qint64 calls = 0;
    qint64 promptTokens = 0;
    qint64 completionTokens = 0;
};

class UsageRepository {
  public:
    explicit UsageRepository(Database& db) : db_(db) {}

    Status record(const UsageRecord& usage);
    Result<UsageTotals> totalsForUser(const QString& userId);

  private:
    Database& db_;
};

}  // namespace parley::store
