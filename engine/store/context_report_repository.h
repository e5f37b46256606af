// The context report of each answer (what went into its prompt, what was cut), kept as JSON text
// so the context inspector can show it after a restart.
#pragma once

#include <QString>

#include "common/result.h"

namespace parley::store {

class Database;

class ContextReportRepository {
  public:
    explicit ContextReportRepository(Database& db) : db_(db) {}

    // Replaces any earlier report of the message (a continued answer gets a new one).
    Status put(const QString& messageId, const QString& reportJson);
    Result<QString> get(const QString& messageId);

  private:
    Database& db_;
};

}  // namespace parley::store
