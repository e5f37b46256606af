// Errors in OpenAI's shape, for every route of the gateway:
//   {"error": {"message": "...", "type": "...", "code": "...", "param": ...}}
// `type` follows OpenAI's vocabulary so its client libraries raise the matching exception.
#pragma once

#include <QString>

#include "gateway/http/http_message.h"

namespace parley::gateway {

namespace error_type {
inline constexpr const char* kInvalidRequest = "invalid_request_error";  // 400, 404, 405, 413
inline constexpr const char* kAuthentication = "authentication_error";   // 401
inline constexpr const char* kPermission = "permission_error";           // 403
inline constexpr const char* kRateLimit = "rate_limit_error";            // 429
inline constexpr const char* kServer = "server_error";                   // 500, 503
}  // namespace error_type

// `param` names the offending request field, when there is one.
HttpResponse apiError(int status, const char* type, const QString& code, const QString& message,
                      const QString& param = {});

// The usual cases.
HttpResponse badRequest(const QString& code, const QString& message, const QString& param = {});
HttpResponse notFound(const QString& message);

}  // namespace parley::gateway
