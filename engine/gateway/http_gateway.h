// HTTP front of parley-server. Owns the QHttpServer and its routes; answers from the model catalog.
#pragma once

#include <QHostAddress>
#include <QHttpServer>
#include <QObject>

#include <filesystem>
#include <optional>

namespace parley::gateway {

class HttpGateway : public QObject {
    Q_OBJECT
  public:
    explicit HttpGateway(std::filesystem::path modelsDir, QObject* parent = nullptr);

    // Starts listening; returns the bound port (useful with port 0), or nullopt with the reason
    // logged when the address cannot be bound.
    std::optional<quint16> listen(const QHostAddress& address, quint16 port);

  private:
    void addRoutes();

    std::filesystem::path modelsDir_;
    QHttpServer server_;
};

}  // namespace parley::gateway
