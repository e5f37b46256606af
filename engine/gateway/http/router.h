// The gateway's route table. Each feature registers its routes in its own file through a
// `registerXxxRoutes(Router&, GatewayServices&)` function; the gateway calls them at start.
//
// Patterns are literal segments and `{name}` placeholders for one segment:
//   router.add("POST", "/v1/conversations/{id}/messages", Access::User, handler);
// A handler reads ctx->param("id"). The gateway authenticates (and rate-limits) before it runs
// the handler, according to the route's Access.
#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>
#include <QStringList>

#include <functional>
#include <vector>

#include "gateway/http/request_context.h"

namespace parley::gateway {

enum class Access {
    Public,  // anyone who passes the Host check (health, metrics, login)
    User,    // a valid API key or session token
    Admin,   // a valid credential of an admin
};

using Handler = std::function<void(const RequestContextPtr&)>;

struct Route {
    QByteArray method;
    QString pattern;
    QStringList segments;
    Access access = Access::User;
    Handler handler;
};

struct RouteMatch {
    const Route* route = nullptr;
    QHash<QString, QString> params;
    bool otherMethods = false;  // the path exists, with another method (405, not 404)
};

class Router {
  public:
    void add(const QByteArray& method, const QString& pattern, Access access, Handler handler);
    RouteMatch match(const QByteArray& method, const QString& path) const;
    const std::vector<Route>& routes() const { return routes_; }

  private:
    std::vector<Route> routes_;
};

}  // namespace parley::gateway
