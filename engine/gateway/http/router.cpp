#include "gateway/http/router.h"

namespace parley::gateway {
namespace {

bool isPlaceholder(const QString& segment) {
    return segment.size() > 2 && segment.startsWith('{') && segment.endsWith('}');
}

bool matchSegments(const Route& route, const QStringList& path, QHash<QString, QString>& params) {
    if (route.segments.size() != path.size())
        return false;
    QHash<QString, QString> found;
    for (qsizetype i = 0; i < path.size(); ++i) {
        const QString& expected = route.segments[i];
        if (isPlaceholder(expected)) {
            if (path[i].isEmpty())
                return false;
            found.insert(expected.mid(1, expected.size() - 2), path[i]);
        } else if (expected != path[i]) {
            return false;
        }
    }
    params = std::move(found);
    return true;
}

}  // namespace

void Router::add(const QByteArray& method, const QString& pattern, Access access, Handler handler) {
    Route route;
    route.method = method;
    route.pattern = pattern;
    route.segments = pattern.split('/');
    route.access = access;
    route.handler = std::move(handler);
    routes_.push_back(std::move(route));
}

RouteMatch Router::match(const QByteArray& method, const QString& path) const {
    const QStringList segments = path.split('/');
    RouteMatch result;
    for (const Route& route : routes_) {
        QHash<QString, QString> params;
        if (!matchSegments(route, segments, params))
            continue;
        if (route.method == method) {
            result.route = &route;
            result.params = std::move(params);
            return result;
        }
        result.otherMethods = true;
    }
    return result;
}

}  // namespace parley::gateway
