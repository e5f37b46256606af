// Small readers for request JSON with OpenAI-style 400s: each returns the value, or nullopt
// after answering 400 (naming the field) on the context.
#pragma once

#include <QJsonObject>
#include <QString>

#include <optional>

#include "gateway/http/request_context.h"

namespace parley::gateway {

// A string field; `required` missing → 400. Longer than maxChars → 400.
std::optional<QString> stringField(RequestContext& ctx, const QJsonObject& body, const QString& key,
                                   bool required, int maxChars = 1024);
// An integer field within [min, max]; missing → `fallback`.
std::optional<qint64> integerField(RequestContext& ctx, const QJsonObject& body, const QString& key,
                                   qint64 min, qint64 max, std::optional<qint64> fallback);
// Refuses (400 unsupported_parameter) any key not in `allowed`; false when it did.
bool onlyKnownFields(RequestContext& ctx, const QJsonObject& body,
                     std::initializer_list<const char*> allowed);

}  // namespace parley::gateway
