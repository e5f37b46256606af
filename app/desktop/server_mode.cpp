#include "server_mode.h"

#include "app_logging.h"
#include "app_settings.h"

namespace parley::app {

ServerMode::ServerMode(std::shared_ptr<serving::ModelRegistry> registry, AppSettings* settings,
                       QString dataDirectory, QObject* parent)
    : QObject(parent),
      registry_(std::move(registry)),
      settings_(settings),
      dataDirectory_(std::move(dataDirectory)),
      host_(new ServerHost(*registry_)) {
    host_->moveToThread(&thread_);
    connect(host_, &ServerHost::listening, this, [this](const QString& url) {
        setState(State::Listening, url);
        QMetaObject::invokeMethod(host_, &ServerHost::listSharedKeys);
        followSettings();
    });
    connect(host_, &ServerHost::failed, this, [this](const QString& reason) {
        failedConfig_ = std::exchange(running_, std::nullopt);
        setState(State::Failed, {}, reason);
        followSettings();
    });
    connect(host_, &ServerHost::stopped, this, [this] {
        running_.reset();
        setSharedKey({}, {});
        sharedKeys_.setKeys({});
        setState(State::Off);
        followSettings();
    });
    connect(host_, &ServerHost::sharedKeyCreated, this, &ServerMode::setSharedKey);
    connect(host_, &ServerHost::sharedKeysListed, this,
            [this](const QList<SharedKey>& keys, const QString& error) {
                // A list that failed keeps the rows shown and says why.
                if (!error.isEmpty())
                    setSharedKey(sharedKey_, error);
                else if (state_ == State::Listening)
                    sharedKeys_.setKeys(keys);
            });
    connect(host_, &ServerHost::sharedKeyRevoked, this,
            [this](const QString& error) { setSharedKey(sharedKey_, error); });
    connect(settings_, &AppSettings::changed, this, &ServerMode::followSettings);
    thread_.setObjectName(QStringLiteral("parley-server-mode"));
    thread_.start();
}

ServerMode::~ServerMode() {
    // The gateway's sockets and store connection belong to the host's thread: end them there.
    QMetaObject::invokeMethod(
        host_, [host = host_] { delete host; }, Qt::BlockingQueuedConnection);
    thread_.quit();
    thread_.wait();
}

void ServerMode::start() {
    started_ = true;
    followSettings();
}

void ServerMode::setUnavailable(const QString& reason) {
    unavailable_ = reason;
    followSettings();
}

std::optional<ServerHostConfig> ServerMode::wantedConfig(QString* error) const {
    ServerHostConfig config;
    const QString address = settings_->serverAddress();
    if (!config.address.setAddress(address)) {
        *error = tr("'%1' is not an IP address: use 127.0.0.1 for this machine only or 0.0.0.0 "
                    "for the network.")
                     .arg(address);
        return std::nullopt;
    }
    config.port = static_cast<quint16>(settings_->serverPort());
    config.certificatePath = settings_->serverCertificate();
    config.privateKeyPath = settings_->serverKey();
    config.dataDirectory = dataDirectory_;
    return config;
}

void ServerMode::followSettings() {
    if (!started_ || !settings_)
        return;
    // A change during a start or a stop is looked at again when that ends.
    if (state_ == State::Starting || state_ == State::Stopping)
        return;
    const bool enabled = settings_->serverEnabled();
    if (!enabled || !unavailable_.isEmpty()) {
        failedConfig_.reset();
        if (state_ == State::Listening) {
            setState(State::Stopping, url_);
            QMetaObject::invokeMethod(host_, &ServerHost::stop);
        } else if (enabled) {
            setState(State::Failed, {}, unavailable_);
        } else {
            setState(State::Off);
        }
        return;
    }
    QString error;
    const std::optional<ServerHostConfig> wanted = wantedConfig(&error);
    if (state_ == State::Listening) {
        if (running_ != wanted) {  // restarts with (or fails on) the new settings once stopped
            setState(State::Stopping, url_);
            QMetaObject::invokeMethod(host_, &ServerHost::stop);
        }
        return;
    }
    if (!wanted) {
        setState(State::Failed, {}, error);
        return;
    }
    // A start that failed is not retried for every unrelated setting; changing its own settings
    // or turning the switch off and on again retries.
    if (state_ == State::Failed && failedConfig_ == wanted)
        return;
    running_ = wanted;
    setState(State::Starting);
    QMetaObject::invokeMethod(host_, [host = host_, config = *wanted] { host->start(config); });
}

void ServerMode::createSharedKey(const QString& name) {
    QMetaObject::invokeMethod(host_, [host = host_, name] { host->createSharedKey(name); });
}

void ServerMode::forgetSharedKey() {
    setSharedKey({}, {});
}

void ServerMode::revokeSharedKey(const QString& keyId) {
    const SharedKey* key = sharedKeys_.key(keyId);
    if (!key) {
        setSharedKey(sharedKey_, tr("No such key to revoke."));
        return;
    }
    // The key shown once is no use to copy any more.
    if (!key->prefix.isEmpty() && sharedKey_.startsWith(key->prefix))
        setSharedKey({}, {});
    QMetaObject::invokeMethod(host_, [host = host_, userId = key->userId, keyId] {
        host->revokeSharedKey(userId, keyId);
    });
}

void ServerMode::setSharedKey(const QString& key, const QString& error) {
    if (sharedKey_ == key && sharedKeyError_ == error)
        return;
    sharedKey_ = key;
    sharedKeyError_ = error;
    emit sharedKeyChanged();
}

void ServerMode::setState(State state, const QString& url, const QString& error) {
    if (state_ == state && url_ == url && errorText_ == error)
        return;
    state_ = state;
    url_ = url;
    errorText_ = error;
    if (state == State::Failed)
        qCWarning(lcApp).noquote() << "server mode failed:" << error;
    emit stateChanged();
}

}  // namespace parley::app
