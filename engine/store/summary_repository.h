// Rolling summaries: the model's condensed text of the oldest messages of a branch, with the
// range of messages (root-side first to last) it stands for in the prompt.
#pragma once

#include <QString>

#include <vector>

#include "common/result.h"

namespace parley::store {

class Database;

struct Summary {
    QString id;
    QString conversationId;
    QString firstMessageId;
    QString lastMessageId;  // the newest message the summary covers
    int messageCount = 0;
    QString content;
    QString model;
    qint64 createdAt = 0;
};

class SummaryRepository {
  public:
    explicit SummaryRepository(Database& db) : db_(db) {}

    // Assigns id and timestamp.
    Result<Summary> add(Summary summary);
    // Newest first.
    Result<std::vector<Summary>> listForConversation(const QString& conversationId);

  private:
    Database& db_;
};

}  // namespace parley::store
