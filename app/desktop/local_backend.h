// The in-process back end of the desktop app: the model registry, the chat core (store and
// pipeline on their worker thread) and the LocalChatService of the one local user. The local
// user's id is kept in a file beside the database, so the threads are found again next time.
// The database is <dataDirectory>/parley.db, the file a gateway on the same directory uses:
// server mode (server_mode.h) keeps its accounts and its users' threads in the same store.
#pragma once

#include <QString>

#include <memory>

#include "chat/chat_core.h"
#include "chat/chat_settings.h"
#include "chat/local_chat_service.h"
#include "common/result.h"
#include "serving/model_registry.h"

namespace parley::app {

class LocalBackend {
  public:
    // Opens (or creates) the database in `dataDirectory`. Returns at once except on the first
    // run, which waits for the store to create the local user.
    static Result<std::unique_ptr<LocalBackend>> open(const QString& dataDirectory,
                                                      chat::ChatSettings settings = {});
    ~LocalBackend();

    chat::LocalChatService& service() { return *service_; }
    const std::shared_ptr<serving::ModelRegistry>& registry() const { return registry_; }
    QString databasePath() const { return databasePath_; }

  private:
    LocalBackend() = default;

    QString databasePath_;
    // Declared in the order they are made; destroyed the other way: service, core, registry.
    std::shared_ptr<serving::ModelRegistry> registry_;
    std::unique_ptr<chat::ChatCore> core_;
    std::unique_ptr<chat::LocalChatService> service_;
};

}  // namespace parley::app
