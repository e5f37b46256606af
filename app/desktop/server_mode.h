// Server mode: this app's gateway on the network (settings: server mode), serving the models
// loaded in the app from the app's own database, so a team or a script can use this machine
// like a parley-server. It follows the settings: turned on, it starts; turned off, it stops;
// its address, port or TLS files changed while on, it restarts. The gateway runs on a thread of
// its own (ServerHost), so starting and serving never block the UI.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QObject>
#include <QPointer>
#include <QThread>

#include <memory>
#include <optional>

#include "server_host.h"
#include "shared_key_list_model.h"

namespace parley::app {

class AppSettings;

class ServerMode : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("ServerMode belongs to the AppSession")

  public:
    enum class State { Off, Starting, Listening, Stopping, Failed };
    Q_ENUM(State)

  private:
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    /** Where others reach this app, e.g. "http://192.168.1.20:8765", while listening. */
    Q_PROPERTY(QString url READ url NOTIFY stateChanged)
    /** Why the server is not running (Failed), readable. */
    Q_PROPERTY(QString errorText READ errorText NOTIFY stateChanged)
    /** The API key created last, shown once: cleared by forgetSharedKey() and when stopping. */
    Q_PROPERTY(QString sharedKey READ sharedKey NOTIFY sharedKeyChanged)
    Q_PROPERTY(QString sharedKeyError READ sharedKeyError NOTIFY sharedKeyChanged)
    /** The keys shared so far that still work, while listening (empty when off). */
    Q_PROPERTY(parley::app::SharedKeyListModel* sharedKeys READ sharedKeys CONSTANT)

  public:
    // `registry` is the app's: the models are shared, not loaded twice. `dataDirectory` is the
    // folder of the app's database.
    ServerMode(std::shared_ptr<serving::ModelRegistry> registry, AppSettings* settings,
               QString dataDirectory, QObject* parent = nullptr);
    ~ServerMode() override;

    State state() const { return state_; }
    QString url() const { return url_; }
    QString errorText() const { return errorText_; }
    QString sharedKey() const { return sharedKey_; }
    QString sharedKeyError() const { return sharedKeyError_; }
    SharedKeyListModel* sharedKeys() { return &sharedKeys_; }

    /** Starts the server if the settings ask for it (at the app's start). */
    void start();
    /** The app runs on a remote server: there are no local models to share. */
    void setUnavailable(const QString& reason);

    /** A new account with an API key for someone to use this server; shown in sharedKey. */
    Q_INVOKABLE void createSharedKey(const QString& name);
    Q_INVOKABLE void forgetSharedKey();
    /** The key (a row of sharedKeys) stops working; its row goes once the store says so. */
    Q_INVOKABLE void revokeSharedKey(const QString& keyId);

  signals:
    void stateChanged();
    void sharedKeyChanged();

  private:
    std::optional<ServerHostConfig> wantedConfig(QString* error) const;
    void followSettings();
    void setState(State state, const QString& url = {}, const QString& error = {});
    void setSharedKey(const QString& key, const QString& error);

    std::shared_ptr<serving::ModelRegistry> registry_;
    QPointer<AppSettings> settings_;
    QString dataDirectory_;
    QThread thread_;
    ServerHost* host_ = nullptr;                    // lives on thread_
    std::optional<ServerHostConfig> running_;       // the config started with, until stopped
    std::optional<ServerHostConfig> failedConfig_;  // the config of the last failed start
    State state_ = State::Off;
    QString url_;
    QString errorText_;
    QString sharedKey_;
    QString sharedKeyError_;
    SharedKeyListModel sharedKeys_;
    QString unavailable_;
    bool started_ = false;
};

}  // namespace parley::app
