// A size limit on the database file (a storage quota): past it, writes fail the way they do on
// a full disk ("database or disk is full") and are rolled back.
#pragma once

#include <QtGlobal>

#include "common/result.h"

namespace parley::store {

class Database;

// Applies to this connection (the store's one writer). `bytes` is rounded down to whole pages.
Status limitDatabaseSize(Database& db, qint64 bytes);

}  // namespace parley::store
