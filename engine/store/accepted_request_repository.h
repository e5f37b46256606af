// Client message ids of accepted sends, per conversation: a send that repeats one (a retry after
// a dropped connection) is answered with the stream it started the first time.
#pragma once

#include <QString>

#include <optional>

#include "common/result.h"

namespace parley::store {

class Database;

struct AcceptedRequest {
    QString conversationId;
    QString clientMessageId;
    QString streamId;
    QString userMessageId;
    QString assistantMessageId;
    QString model;
};

class AcceptedRequestRepository {
  public:
    explicit AcceptedRequestRepository(Database& db) : db_(db) {}

    Status record(const AcceptedRequest& request);
    // nullopt when the client message id was never accepted in the conversation.
    Result<std::optional<AcceptedRequest>> find(const QString& conversationId,
                                                const QString& clientMessageId);

  private:
    Database& db_;
};

}  // namespace parley::store
