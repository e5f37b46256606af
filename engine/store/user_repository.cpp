#include "store/user_repository.h"

#include <QSqlQuery>
#include <QUuid>

#include "store/database.h"
#include "store/sql_error.h"

namespace parley::store {

Result<QString> UserRepository::createUser(const QString& name) {
    const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral("INSERT INTO users (id, name, created_at) VALUES (?, ?, ?)"));
    query.addBindValue(id);
    query.addBindValue(textValue(name));
    query.addBindValue(db_.nextTimestamp());
    if (Status done = execPrepared(query, QStringLiteral("cannot create user")); !done) {
        return done.error();
    }
    return id;
}

Result<QString> UserRepository::createWorkspace(const QString& userId, const QString& name) {
    const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral(
        "INSERT INTO workspaces (id, user_id, name, created_at) VALUES (?, ?, ?, ?)"));
    query.addBindValue(id);
    query.addBindValue(userId);
    query.addBindValue(textValue(name));
    query.addBindValue(db_.nextTimestamp());
    if (Status done = execPrepared(query, QStringLiteral("cannot create workspace")); !done) {
        return done.error();
    }
    return id;
}

}  // namespace parley::store
