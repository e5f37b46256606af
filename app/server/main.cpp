#include <QCommandLineParser>
#include <QCoreApplication>
#include <QHostAddress>

#include <cstdio>

#include "gateway/http_gateway.h"
#include "inference/catalog/model_catalog.h"

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName("parley-server");
    QCoreApplication::setApplicationVersion(PARLEY_VERSION);

    QCommandLineParser parser;
    parser.setApplicationDescription(
        "Parley's headless server: the gateway and engine, for a team or for scripts.\n"
        "Routes: GET /healthz, GET /readyz, GET /v1/models.");
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption hostOption({"H", "host"}, "Address to bind (default 127.0.0.1).",
                                        "address", "127.0.0.1");
    const QCommandLineOption portOption({"p", "port"}, "Port to listen on (default 8765; 0 = any).",
                                        "port", "8765");
    const QCommandLineOption modelsOption("models-dir",
                                          "Directory of GGUF models (default $PARLEY_MODELS_DIR or "
                                          "$XDG_DATA_HOME/parley/models).",
                                          "dir");
    parser.addOptions({hostOption, portOption, modelsOption});
    parser.process(app);

    QHostAddress address;
    if (!address.setAddress(parser.value(hostOption))) {
        std::fprintf(stderr, "error: --host '%s' is not an IP address\n",
                     qPrintable(parser.value(hostOption)));
        return 2;
    }
    bool portOk = false;
    const uint port = parser.value(portOption).toUInt(&portOk);
    if (!portOk || port > 65535) {
        std::fprintf(stderr, "error: --port '%s' is not a port number\n",
                     qPrintable(parser.value(portOption)));
        return 2;
    }
    const auto modelsDir = parser.isSet(modelsOption)
                               ? std::filesystem::path(parser.value(modelsOption).toStdString())
                               : parley::catalog::defaultModelsDir();

    parley::gateway::HttpGateway gateway(modelsDir);
    const auto bound = gateway.listen(address, static_cast<quint16>(port));
    if (!bound) {
        std::fprintf(stderr, "error: cannot listen on %s:%u\n", qPrintable(address.toString()),
                     port);
        return 1;
    }
    std::printf("parley-server listening on http://%s:%u (models: %s)\n",
                qPrintable(address.toString()), *bound, modelsDir.c_str());
    std::fflush(stdout);

    return app.exec();
}
