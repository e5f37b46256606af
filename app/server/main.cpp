// parley-server: the gateway and the engine in one headless process.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QSocketNotifier>
#include <QSslCertificate>
#include <QSslKey>
#include <QStandardPaths>

#include <sys/socket.h>
#include <unistd.h>
#include <csignal>
#include <cstdio>

#include "gateway/account_service.h"
#include "gateway/conversation_gateway.h"
#include "gateway/http_gateway.h"
#include "inference/catalog/model_catalog.h"
#include "serving/model_registry.h"

namespace {

int signalPipe[2] = {-1, -1};

// Only async-signal-safe work here: the event loop reads the pipe and shuts down.
void onTerminate(int signal) {
    const char byte = static_cast<char>(signal);
    [[maybe_unused]] const auto written = ::write(signalPipe[1], &byte, 1);
}

int fail(int code, const QString& message) {
    std::fprintf(stderr, "error: %s\n", qPrintable(message));
    return code;
}

// "HOST:PORT", "[V6]:PORT" or ":PORT".
bool parseListen(const QString& text, QHostAddress& address, quint16& port) {
    const qsizetype colon = text.lastIndexOf(':');
    if (colon < 0)
        return false;
    QString host = text.left(colon);
    if (host.startsWith('[') && host.endsWith(']'))
        host = host.mid(1, host.size() - 2);
    if (host.isEmpty())
        host = QStringLiteral("127.0.0.1");
    bool ok = false;
    const uint value = text.mid(colon + 1).toUInt(&ok);
    if (!ok || value > 65535 || !address.setAddress(host))
        return false;
    port = static_cast<quint16>(value);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName("parley-server");
    QCoreApplication::setApplicationVersion(PARLEY_VERSION);

    QCommandLineParser parser;
    parser.setApplicationDescription(
        "Parley's headless server: the gateway and engine, for a team or for scripts.\n"
        "Every API call needs a key (Authorization: Bearer KEY); the first start on an empty data\n"
        "directory creates an admin and prints its key once (also written, mode 0600, to\n"
        "DIR/bootstrap-admin-key) unless --bootstrap-api-key or PARLEY_BOOTSTRAP_API_KEY gives "
        "it.");
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption listenOption(
        "listen",
        "Address and port to serve on (default 127.0.0.1:8080; use 0.0.0.0:PORT for a team).",
        "host:port");
    const QCommandLineOption hostOption({"H", "host"}, "Address to bind (overrides --listen's).",
                                        "address");
    const QCommandLineOption portOption({"p", "port"}, "Port (overrides --listen's; 0 = any).",
                                        "port");
    const QCommandLineOption dataOption("data-dir",
                                        "Directory of the server's database and files (default "
                                        "$XDG_DATA_HOME/parley/server).",
                                        "dir");
    const QCommandLineOption modelOption(
        "model",
        "GGUF model to serve (repeatable; the first is the default). Without it, every "
        "model in --models-dir.",
        "file");
    const QCommandLineOption modelsOption("models-dir",
                                          "Directory of GGUF models (default $PARLEY_MODELS_DIR "
                                          "or $XDG_DATA_HOME/parley/models).",
                                          "dir");
    const QCommandLineOption certOption("tls-cert", "PEM certificate: serve HTTPS.", "file");
    const QCommandLineOption keyOption("tls-key", "PEM private key for --tls-cert.", "file");
    const QCommandLineOption bootstrapOption(
        "bootstrap-api-key",
        "The first admin's API key on an empty data directory (or PARLEY_BOOTSTRAP_API_KEY).",
        "key");
    const QCommandLineOption allowedHostOption(
        "allowed-host", "Also accept this Host header (repeatable; DNS-rebinding defence).",
        "host");
    const QCommandLineOption allowedOriginOption(
        "allowed-origin", "Browser origin allowed to call the API (repeatable; none by default).",
        "origin");
    const QCommandLineOption rpmOption("rate-limit", "Requests per minute per API key.", "n");
    const QCommandLineOption burstOption("rate-burst", "Requests allowed in a burst.", "n");
    const QCommandLineOption streamsOption("max-streams-per-user",
                                           "Generations in flight per user.", "n");
    const QCommandLineOption quotaOption("daily-token-quota", "Tokens per user per UTC day.", "n");
    const QCommandLineOption bodyOption("max-body-bytes", "Largest request body.", "n");
    const QCommandLineOption queueOption("max-queue",
                                         "Requests a model queues before answering 429.", "n");
    const QCommandLineOption graceOption("shutdown-grace-ms",
                                         "How long open streams may finish after SIGTERM.", "ms");
    const QCommandLineOption sessionOption("session-ttl", "Lifetime of login sessions.", "seconds");
    const QCommandLineOption clientTimeoutOption(
        "client-timeout-ms", "Time a client has to send a request's headers, and its body.", "ms");
    const QCommandLineOption threadsOption("threads", "Engine worker threads (default: cores).",
                                           "n");
    const QCommandLineOption kvOption("kv-cache-mib", "KV cache of each model (default 256).",
                                      "MiB");
    parser.addOptions({listenOption,    hostOption,        portOption,          dataOption,
                       modelOption,     modelsOption,      certOption,          keyOption,
                       bootstrapOption, allowedHostOption, allowedOriginOption, rpmOption,
                       burstOption,     streamsOption,     quotaOption,         bodyOption,
                       queueOption,     graceOption,       sessionOption,       clientTimeoutOption,
                       threadsOption,   kvOption});
    parser.process(app);

    QHostAddress address(QHostAddress::LocalHost);
    quint16 port = 8080;
    if (parser.isSet(listenOption) && !parseListen(parser.value(listenOption), address, port))
        return fail(2, QStringLiteral("--listen '%1' is not HOST:PORT with an IP address")
                           .arg(parser.value(listenOption)));
    if (parser.isSet(hostOption) && !address.setAddress(parser.value(hostOption)))
        return fail(
            2, QStringLiteral("--host '%1' is not an IP address").arg(parser.value(hostOption)));
    if (parser.isSet(portOption)) {
        bool ok = false;
        const uint value = parser.value(portOption).toUInt(&ok);
        if (!ok || value > 65535)
            return fail(
                2,
                QStringLiteral("--port '%1' is not a port number").arg(parser.value(portOption)));
        port = static_cast<quint16>(value);
    }

    // Numeric flags: all positive integers.
    bool numbersOk = true;
    const auto number = [&](const QCommandLineOption& option, qint64 fallback) {
        if (!parser.isSet(option))
            return fallback;
        bool ok = false;
        const qint64 value = parser.value(option).toLongLong(&ok);
        if (!ok || value < 1) {
            std::fprintf(stderr, "error: --%s '%s' is not a positive integer\n",
                         qPrintable(option.names().first()), qPrintable(parser.value(option)));
            numbersOk = false;
        }
        return value;
    };
    parley::gateway::GatewayConfig config;
    config.limits.keyRequestsPerMinute =
        static_cast<double>(number(rpmOption, qint64(config.limits.keyRequestsPerMinute)));
    config.limits.burst = static_cast<double>(number(burstOption, qint64(config.limits.burst)));
    config.limits.maxConcurrentStreams =
        static_cast<int>(number(streamsOption, config.limits.maxConcurrentStreams));
    config.limits.dailyTokenQuota = number(quotaOption, config.limits.dailyTokenQuota);
    config.http.maxBodyBytes = number(bodyOption, config.http.maxBodyBytes);
    config.limits.shutdownGraceMs =
        static_cast<int>(number(graceOption, config.limits.shutdownGraceMs));
    config.limits.sessionTtlSeconds = number(sessionOption, config.limits.sessionTtlSeconds);
    config.http.headerTimeoutMs =
        static_cast<int>(number(clientTimeoutOption, config.http.headerTimeoutMs));
    config.http.bodyTimeoutMs =
        static_cast<int>(number(clientTimeoutOption, config.http.bodyTimeoutMs));
    parley::serving::RegistryConfig registryConfig;
    registryConfig.threads = static_cast<int>(number(threadsOption, 0));
    registryConfig.kvBudgetBytes = number(kvOption, registryConfig.kvBudgetBytes >> 20) << 20;
    registryConfig.scheduler.maxWaiting =
        static_cast<int32_t>(number(queueOption, registryConfig.scheduler.maxWaiting));
    if (!numbersOk)
        return 2;
    // A limit per key tighter than per user or per IP would be shadowed by them otherwise.
    config.limits.userRequestsPerMinute =
        std::max(config.limits.userRequestsPerMinute, config.limits.keyRequestsPerMinute);
    config.limits.ipRequestsPerMinute =
        std::max(config.limits.ipRequestsPerMinute, config.limits.keyRequestsPerMinute);

    config.dataDir = parser.isSet(dataOption)
                         ? parser.value(dataOption)
                         : QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
                               "/parley/server";
    config.allowedHosts = parser.values(allowedHostOption);
    if (address != QHostAddress::Any && address != QHostAddress::AnyIPv4 &&
        address != QHostAddress::AnyIPv6)
        config.allowedHosts.append(address.protocol() == QAbstractSocket::IPv6Protocol
                                       ? '[' + address.toString() + ']'
                                       : address.toString());
    config.allowedOrigins = parser.values(allowedOriginOption);

    std::optional<QSslConfiguration> tls;
    if (parser.isSet(certOption) != parser.isSet(keyOption))
        return fail(2, QStringLiteral("--tls-cert and --tls-key go together"));
    if (parser.isSet(certOption)) {
        QFile certFile(parser.value(certOption));
        QFile keyFile(parser.value(keyOption));
        if (!certFile.open(QIODevice::ReadOnly) || !keyFile.open(QIODevice::ReadOnly))
            return fail(2, QStringLiteral("cannot read --tls-cert/--tls-key"));
        const auto certificates = QSslCertificate::fromData(certFile.readAll(), QSsl::Pem);
        const QByteArray keyPem = keyFile.readAll();
        QSslKey key(keyPem, QSsl::Rsa, QSsl::Pem);
        if (key.isNull())
            key = QSslKey(keyPem, QSsl::Ec, QSsl::Pem);
        if (certificates.isEmpty() || key.isNull())
            return fail(2,
                        QStringLiteral("--tls-cert/--tls-key are not a PEM certificate and key"));
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.setLocalCertificateChain(certificates);
        ssl.setPrivateKey(key);
        ssl.setPeerVerifyMode(QSslSocket::VerifyNone);
        tls = ssl;
    }

    if (!tls && !address.isLoopback())
        std::fprintf(stderr,
                     "warning: serving beyond loopback without TLS: keys and conversations cross "
                     "the network in clear text (use --tls-cert/--tls-key)\n");

    parley::serving::ModelRegistry models(registryConfig);
    std::vector<std::filesystem::path> modelFiles;
    for (const QString& file : parser.values(modelOption))
        modelFiles.emplace_back(file.toStdString());
    const auto modelsDir = parser.isSet(modelsOption)
                               ? std::filesystem::path(parser.value(modelsOption).toStdString())
                               : parley::catalog::defaultModelsDir();
    if (modelFiles.empty()) {
        for (const auto& entry : parley::catalog::scanModels(modelsDir)) {
            if (entry.error.empty())
                modelFiles.push_back(entry.path);
            else
                std::fprintf(stderr, "warning: model %s not served: %s\n", entry.path.c_str(),
                             entry.error.c_str());
        }
    }
    for (const auto& file : modelFiles) {
        auto loaded = models.load(file);
        if (!loaded) {
            std::fprintf(stderr, "warning: model %s not served: %s\n", file.c_str(),
                         loaded.error().message.c_str());
            if (!parser.values(modelOption).isEmpty())
                return 1;
        }
    }

    config.modelSource = parser.values(modelOption).isEmpty()
                             ? QString::fromStdString(modelsDir.string())
                             : parser.values(modelOption).join(", ");
    auto gateway = parley::gateway::HttpGateway::create(config, models);
    if (!gateway)
        return fail(1, QString::fromStdString(gateway.error().message));
    QString bootstrapKey = parser.value(bootstrapOption);
    if (bootstrapKey.isEmpty())
        bootstrapKey = qEnvironmentVariable("PARLEY_BOOTSTRAP_API_KEY");
    const QString keyFile = QDir(config.dataDir).filePath("bootstrap-admin-key");
    auto bootstrap = (*gateway)->accounts().bootstrap(bootstrapKey, keyFile);
    if (!bootstrap)
        return fail(1, QString::fromStdString(bootstrap.error().message));
    if (!bootstrap->generatedKey.isEmpty()) {
        std::printf(
            "Created the admin account. Its API key (shown once; also in %s, mode 0600):\n"
            "  %s\n",
            qPrintable(keyFile), qPrintable(bootstrap->generatedKey));
    }

    parley::gateway::ConversationGateway conversations((*gateway)->services());
    conversations.registerRoutes((*gateway)->router());

    auto bound = (*gateway)->listen(address, port, tls);
    if (!bound)
        return fail(1, QString::fromStdString(bound.error().message));
    const QString shownHost = address.protocol() == QAbstractSocket::IPv6Protocol
                                  ? '[' + address.toString() + ']'
                                  : address.toString();
    std::printf("parley-server listening on %s://%s:%u (models: %s; data: %s)\n",
                tls ? "https" : "http", qPrintable(shownHost), unsigned(*bound),
                models.models().empty() ? "none" : models.defaultId().c_str(),
                qPrintable(config.dataDir));
    std::fflush(stdout);

    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, signalPipe) != 0)
        return fail(1, QStringLiteral("cannot create the signal pipe"));
    QSocketNotifier signalNotifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&signalNotifier, &QSocketNotifier::activated, &app, [&] {
        char byte = 0;
        [[maybe_unused]] const auto got = ::read(signalPipe[0], &byte, 1);
        signalNotifier.setEnabled(false);
        std::printf("parley-server: shutting down\n");
        std::fflush(stdout);
        (*gateway)->shutdown();
    });
    QObject::connect(gateway->get(), &parley::gateway::HttpGateway::stopped, &app,
                     &QCoreApplication::quit);
    std::signal(SIGTERM, onTerminate);
    std::signal(SIGINT, onTerminate);

    return app.exec();
}
