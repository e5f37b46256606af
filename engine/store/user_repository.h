// Users and workspaces: the owners of conversations.
#pragma once

#include <QString>

#include "common/result.h"

namespace parley::store {

class Database;

class UserRepository {
  public:
    explicit UserRepository(Database& db) : db_(db) {}

    // Returns the new user's id.
    Result<QString> createUser(const QString& name);
    // Returns the new workspace's id.
    Result<QString> createWorkspace(const QString& userId, const QString& name);

  private:
    Database& db_;
};

}  // namespace parley::store
