// The store's schema as an ordered list of numbered migrations. A migration is never edited once
// released; schema changes append a new one.
#pragma once

#include <vector>

namespace parley::store {

struct Migration {
    int version;
    const char* description;
    // One SQL statement each: the SQLite driver executes a single statement per query.
    std::vector<const char*> statements;
};

const std::vector<Migration>& migrations();

// Version 2 (migration_chat.cpp): summaries, context reports, accepted requests, usage.
const Migration& chatPipelineSchema();
// Version 3 (migration_accounts.cpp): logins, roles, API keys, sessions, usage ledger.
const Migration& accountsSchema();

}  // namespace parley::store
