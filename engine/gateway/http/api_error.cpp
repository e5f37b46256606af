#include "gateway/http/api_error.h"

#include <QJsonObject>

namespace parley::gateway {

HttpResponse apiError(int status, const char* type, const QString& code, const QString& message,
                      const QString& param) {
    QJsonObject error{{"message", message},
                      {"type", QString::fromLatin1(type)},
                      {"code", code},
                      {"param", param.isEmpty() ? QJsonValue() : QJsonValue(param)}};
    return HttpResponse::json(status, QJsonObject{{"error", error}});
}

HttpResponse badRequest(const QString& code, const QString& message, const QString& param) {
    return apiError(400, error_type::kInvalidRequest, code, message, param);
}

HttpResponse notFound(const QString& message) {
    return apiError(404, error_type::kInvalidRequest, QStringLiteral("not_found"), message);
}

}  // namespace parley::gateway
