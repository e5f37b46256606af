// Shared by the store tests: a store per test function, a NewMessage with the fields the tests
// vary.
#pragma once

#include <QTemporaryDir>
#include <QtTest>

#include <memory>

#include "store/database.h"
#include "store/message_repository.h"

namespace parley::store::testing {

// A fresh store in `dir`, named after the running test function.
inline Result<std::unique_ptr<Database>> openTestDatabase(const QTemporaryDir& dir) {
    return Database::open(
        dir.filePath(QString::fromLatin1(QTest::currentTestFunction()) + ".sqlite"));
}

inline NewMessage draft(const QString& conversationId, const QString& parentId, const QString& role,
                        const QString& content, MessageStatus status = MessageStatus::Complete,
                        const QString& model = {}) {
    NewMessage message;
    message.conversationId = conversationId;
    message.parentId = parentId;
    message.role = role;
    message.content = content;
    message.status = status;
    message.model = model;
    return message;
}

}  // namespace parley::store::testing
