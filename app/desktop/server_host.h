// Server mode's worker: the gateway (HttpGateway with the conversation routes) of the app's own
// models and database, run on a thread of its own so that opening the store, migrating it and
// accepting connections never touch the UI thread. Every member function runs on that thread;
// ServerMode calls them through the event loop and hears back through the signals.
#pragma once

#include <QHostAddress>
#include <QObject>
#include <QString>

#include <memory>

#include "shared_key_list_model.h"

namespace parley::serving {
class ModelRegistry;
}

namespace parley::gateway {
class ConversationGateway;
class HttpGateway;
}  // namespace parley::gateway

namespace parley::app {

struct ServerHostConfig {
    QHostAddress address;
    quint16 port = 0;         // 0: any free port
    QString certificatePath;  // both empty: plain HTTP
    QString privateKeyPath;
    QString dataDirectory;  // the app's: its parley.db holds the accounts and conversations

    bool operator==(const ServerHostConfig&) const = default;
};

class ServerHost : public QObject {
    Q_OBJECT
  public:
    // `models` is the app's registry: the gateway serves the models the app has loaded.
    explicit ServerHost(serving::ModelRegistry& models);
    ~ServerHost() override;

    void start(const ServerHostConfig& config);
    // Lets open requests finish (a short grace period), then closes the port.
    void stop();
    // A member account named `name` and its API key, for someone to reach this server with.
    void createSharedKey(const QString& name);
    // The active keys of the member accounts (sharedKeysListed).
    void listSharedKeys();
    // The key stops working at once; its account and conversations stay.
    void revokeSharedKey(const QString& userId, const QString& keyId);

  signals:
    void listening(const QString& url);
    void failed(const QString& reason);
    void stopped();
    void sharedKeyCreated(const QString& key, const QString& error);
    void sharedKeysListed(const QList<parley::app::SharedKey>& keys, const QString& error);
    void sharedKeyRevoked(const QString& error);

  private:
    void fail(const QString& reason);

    serving::ModelRegistry& models_;
    std::unique_ptr<gateway::HttpGateway> gateway_;
    std::unique_ptr<gateway::ConversationGateway> conversations_;
};

}  // namespace parley::app
