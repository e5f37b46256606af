#include "gateway/http/json_fields.h"

#include <QSet>

#include <cmath>

#include "gateway/http/api_error.h"

namespace parley::gateway {

std::optional<QString> stringField(RequestContext& ctx, const QJsonObject& body, const QString& key,
                                   bool required, int maxChars) {
    const QJsonValue value = body.value(key);
    if (value.isUndefined() || value.isNull()) {
        if (required) {
            ctx.reply(badRequest(QStringLiteral("missing_required_parameter"),
                                 QStringLiteral("'%1' is required").arg(key), key));
            return std::nullopt;
        }
        return QString();
    }
    if (!value.isString()) {
        ctx.reply(badRequest(QStringLiteral("invalid_type"),
                             QStringLiteral("'%1' must be a string").arg(key), key));
        return std::nullopt;
    }
    const QString text = value.toString();
    if (text.size() > maxChars) {
        ctx.reply(badRequest(
            QStringLiteral("string_above_max_length"),
            QStringLiteral("'%1' is longer than %2 characters").arg(key).arg(maxChars), key));
        return std::nullopt;
    }
    return text;
}

std::optional<qint64> integerField(RequestContext& ctx, const QJsonObject& body, const QString& key,
                                   qint64 min, qint64 max, std::optional<qint64> fallback) {
    const QJsonValue value = body.value(key);
    if (value.isUndefined() || value.isNull()) {
        if (!fallback) {
            ctx.reply(badRequest(QStringLiteral("missing_required_parameter"),
                                 QStringLiteral("'%1' is required").arg(key), key));
            return std::nullopt;
        }
        return fallback;
    }
    const double number = value.toDouble();
    if (!value.isDouble() || std::floor(number) != number || number < min || number > max) {
        ctx.reply(badRequest(
            QStringLiteral("invalid_value"),
            QStringLiteral("'%1' must be an integer from %2 to %3").arg(key).arg(min).arg(max),
            key));
        return std::nullopt;
    }
    return static_cast<qint64>(number);
}

bool onlyKnownFields(RequestContext& ctx, const QJsonObject& body,
                     std::initializer_list<const char*> allowed) {
    QSet<QString> known;
    for (const char* key : allowed)
        known.insert(QString::fromLatin1(key));
    for (auto it = body.begin(); it != body.end(); ++it) {
        if (!known.contains(it.key())) {
            ctx.reply(badRequest(QStringLiteral("unsupported_parameter"),
                                 QStringLiteral("Unsupported parameter: '%1' is not supported "
                                                "by this server.")
                                     .arg(it.key()),
                                 it.key()));
            return false;
        }
    }
    return true;
}

}  // namespace parley::gateway
