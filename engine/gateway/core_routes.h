// The gateway's own routes besides the OpenAI API:
//   health_routes.cpp      GET /healthz (public), GET /readyz (public), GET /metrics (admin)
//   auth/auth_routes.cpp   POST /v1/auth/login (public), POST /v1/auth/logout, GET /v1/me
//   auth/admin_routes.cpp  /v1/admin/users, /v1/admin/users/{id}/api_keys[/{key_id}],
//                          /v1/admin/usage
#pragma once

#include <QString>

#include <functional>

namespace parley::gateway {

class Router;
struct GatewayServices;

// `shuttingDown` tells /readyz to answer 503 once a graceful shutdown began; `modelSource` (the
// models directory or files) goes into its reason when no model is loaded.
void registerHealthRoutes(Router& router, const GatewayServices& services,
                          const QString& modelSource, std::function<bool()> shuttingDown);
void registerAuthRoutes(Router& router, const GatewayServices& services);
void registerAdminRoutes(Router& router, const GatewayServices& services);

}  // namespace parley::gateway
