#include "server_host.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QHostInfo>
#include <QNetworkInterface>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>

#include <algorithm>

#include "app_logging.h"
#include "gateway/account_service.h"
#include "gateway/conversation_gateway.h"
#include "gateway/http_gateway.h"

namespace parley::app {

namespace {

// Open requests get this long to finish when server mode is turned off; the app's user is
// waiting for the switch, unlike parley-server's operator.
constexpr int kStopGraceMs = 2000;

bool listensEverywhere(const QHostAddress& address) {
    return address == QHostAddress::Any || address == QHostAddress::AnyIPv4 ||
           address == QHostAddress::AnyIPv6;
}

QString hostText(const QHostAddress& address) {
    return address.protocol() == QAbstractSocket::IPv6Protocol ? '[' + address.toString() + ']'
                                                               : address.toString();
}

Result<QSslConfiguration> loadTls(const QString& certificatePath, const QString& keyPath) {
    QFile certificateFile(certificatePath);
    QFile keyFile(keyPath);
    if (!certificateFile.open(QIODevice::ReadOnly))
        return makeError("cannot read the TLS certificate " + certificatePath.toStdString() + ": " +
                         certificateFile.errorString().toStdString());
    if (!keyFile.open(QIODevice::ReadOnly))
        return makeError("cannot read the TLS key " + keyPath.toStdString() + ": " +
                         keyFile.errorString().toStdString());
    const auto certificates = QSslCertificate::fromData(certificateFile.readAll(), QSsl::Pem);
    const QByteArray keyPem = keyFile.readAll();
    QSslKey key(keyPem, QSsl::Rsa, QSsl::Pem);
    if (key.isNull())
        key = QSslKey(keyPem, QSsl::Ec, QSsl::Pem);
    if (certificates.isEmpty())
        return makeError(certificatePath.toStdString() + " is not a PEM certificate");
    if (key.isNull())
        return makeError(keyPath.toStdString() + " is not a PEM RSA or EC private key");
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setLocalCertificateChain(certificates);
    tls.setPrivateKey(key);
    tls.setPeerVerifyMode(QSslSocket::VerifyNone);
    return tls;
}

// The names a client on the network may put in its Host header: the listen address, or when
// listening on every interface, every address of this machine and its host name.
QStringList allowedHostsFor(const QHostAddress& address) {
    if (!listensEverywhere(address))
        return {hostText(address)};
    QStringList hosts{QHostInfo::localHostName()};
    for (const QHostAddress& local : QNetworkInterface::allAddresses())
        hosts.append(hostText(QHostAddress(local.toString().section('%', 0, 0))));
    return hosts;
}

// What to give the people to share with: a concrete address, not 0.0.0.0.
QHostAddress shownAddress(const QHostAddress& address) {
    if (!listensEverywhere(address))
        return address;
    for (const QHostAddress& local : QNetworkInterface::allAddresses())
        if (!local.isLoopback() && local.protocol() == QAbstractSocket::IPv4Protocol)
            return local;
    return QHostAddress(QHostAddress::LocalHost);
}

}  // namespace

ServerHost::ServerHost(serving::ModelRegistry& models) : models_(models) {}

ServerHost::~ServerHost() {
    conversations_.reset();  // uses the gateway's services
    gateway_.reset();
}

void ServerHost::fail(const QString& reason) {
    conversations_.reset();
    gateway_.reset();
    emit failed(reason);
}

void ServerHost::start(const ServerHostConfig& config) {
    std::optional<QSslConfiguration> tls;
    if (config.certificatePath.isEmpty() != config.privateKeyPath.isEmpty())
        return fail(tr("a TLS certificate and its key go together: give both or neither"));
    if (!config.certificatePath.isEmpty()) {
        auto loaded = loadTls(config.certificatePath, config.privateKeyPath);
        if (!loaded)
            return fail(QString::fromStdString(loaded.error().message));
        tls = loaded.value();
    }

    gateway::GatewayConfig gatewayConfig;
    gatewayConfig.dataDir = config.dataDirectory;
    gatewayConfig.allowedHosts = allowedHostsFor(config.address);
    gatewayConfig.modelSource = tr("the models loaded in the app");
    gatewayConfig.limits.shutdownGraceMs = kStopGraceMs;
    auto created = gateway::HttpGateway::create(gatewayConfig, models_);
    if (!created)
        return fail(tr("cannot open the server's store: %1")
                        .arg(QString::fromStdString(created.error().message)));
    gateway_ = std::move(created.value());
    // The first start makes the admin; its key stays in this file (mode 0600) for the owner.
    auto bootstrap = gateway_->accounts().bootstrap(
        QString(), QDir(config.dataDirectory).filePath(QStringLiteral("bootstrap-admin-key")));
    if (!bootstrap)
        return fail(tr("cannot create the server's admin: %1")
                        .arg(QString::fromStdString(bootstrap.error().message)));
    conversations_ = std::make_unique<gateway::ConversationGateway>(gateway_->services());
    conversations_->registerRoutes(gateway_->router());
    // Queued: the gateway is deleted here, not inside its own signal.
    connect(
        gateway_.get(), &gateway::HttpGateway::stopped, this,
        [this] {
            conversations_.reset();
            gateway_.reset();
            emit stopped();
        },
        Qt::QueuedConnection);

    auto bound = gateway_->listen(config.address, config.port, tls);
    if (!bound)
        return fail(QString::fromStdString(bound.error().message));
    const QString url = QStringLiteral("%1://%2:%3")
                            .arg(tls ? QStringLiteral("https") : QStringLiteral("http"),
                                 hostText(shownAddress(config.address)))
                            .arg(bound.value());
    qCInfo(lcApp).noquote() << "server mode: listening on" << url;
    emit listening(url);
}

void ServerHost::stop() {
    if (!gateway_) {
        emit stopped();
        return;
    }
    if (!gateway_->shuttingDown())
        gateway_->shutdown();
}

void ServerHost::createSharedKey(const QString& name) {
    if (!gateway_ || gateway_->shuttingDown()) {
        emit sharedKeyCreated({}, tr("Turn server mode on first."));
        return;
    }
    const QString accountName = name.trimmed().isEmpty() ? tr("Shared") : name.trimmed();
    auto account = gateway_->accounts().createUser(accountName, QString(), gateway::Role::Member,
                                                   QString(), std::nullopt, std::nullopt);
    if (!account) {
        emit sharedKeyCreated({}, QString::fromStdString(account.error().message));
        return;
    }
    auto key = gateway_->accounts().createApiKey(account->id, accountName, std::nullopt);
    if (!key) {
        emit sharedKeyCreated({}, QString::fromStdString(key.error().message));
        return;
    }
    qCInfo(lcApp).noquote() << "server mode: created an API key for" << accountName;
    emit sharedKeyCreated(key->secret, {});
    listSharedKeys();
}

void ServerHost::listSharedKeys() {
    if (!gateway_) {
        emit sharedKeysListed({}, {});
        return;
    }
    store::AccountRepository& repository = gateway_->accounts().accounts();
    auto accounts = repository.list();
    if (!accounts) {
        emit sharedKeysListed({}, tr("Cannot list the API keys: %1")
                                      .arg(QString::fromStdString(accounts.error().message)));
        return;
    }
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QList<SharedKey> keys;
    for (const store::Account& account : accounts.value()) {
        if (account.role != QLatin1String("member") || account.disabled)
            continue;
        auto owned = repository.apiKeysOf(account.id);
        if (!owned) {
            emit sharedKeysListed({}, tr("Cannot list the API keys: %1")
                                          .arg(QString::fromStdString(owned.error().message)));
            return;
        }
        for (const store::ApiKeyRecord& key : owned.value())
            if (!key.revokedAt && (!key.expiresAt || *key.expiresAt > now))
                keys.append({key.id, account.id, account.name, key.prefix,
                             QDateTime::fromMSecsSinceEpoch(key.createdAt)});
    }
    std::stable_sort(keys.begin(), keys.end(), [](const SharedKey& a, const SharedKey& b) {
        return a.createdAt < b.createdAt;
    });
    emit sharedKeysListed(keys, {});
}

void ServerHost::revokeSharedKey(const QString& userId, const QString& keyId) {
    if (!gateway_ || gateway_->shuttingDown()) {
        emit sharedKeyRevoked(tr("Turn server mode on first."));
        return;
    }
    auto revoked = gateway_->accounts().accounts().revokeApiKey(
        userId, keyId, QDateTime::currentMSecsSinceEpoch());
    if (!revoked)
        emit sharedKeyRevoked(
            tr("Cannot revoke the key: %1").arg(QString::fromStdString(revoked.error().message)));
    else if (!revoked.value())
        emit sharedKeyRevoked(tr("That key was already revoked."));
    else {
        qCInfo(lcApp).noquote() << "server mode: revoked API key" << keyId;
        emit sharedKeyRevoked({});
    }
    listSharedKeys();
}

}  // namespace parley::app
