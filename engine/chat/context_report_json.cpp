#include "chat/context_report_json.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <array>

namespace parley::chat {

namespace {

constexpr std::array<std::pair<ContextPart::Kind, const char*>, 6> kKindNames{{
    {ContextPart::Kind::SystemPrompt, "system"},
    {ContextPart::Kind::Summary, "summary"},
    {ContextPart::Kind::Turn, "turn"},
    {ContextPart::Kind::Attachment, "attachment"},
    {ContextPart::Kind::Memory, "memory"},
    {ContextPart::Kind::Document, "document"},
}};

QString kindName(ContextPart::Kind kind) {
    for (const auto& [k, name] : kKindNames) {
        if (k == kind) {
            return QString::fromLatin1(name);
        }
    }
    return {};
}

std::optional<ContextPart::Kind> kindFromName(const QString& name) {
    for (const auto& [k, n] : kKindNames) {
        if (name == QLatin1String(n)) {
            return k;
        }
    }
    return std::nullopt;
}

}  // namespace

QString contextReportToJson(const ContextReport& report) {
    QJsonArray parts;
    for (const ContextPart& p : report.parts) {
        parts.append(QJsonObject{{"kind", kindName(p.kind)},
                                 {"messageId", p.messageId},
                                 {"label", p.label},
                                 {"tokens", p.tokens},
                                 {"included", p.included}});
    }
    return QString::fromUtf8(QJsonDocument(QJsonObject{{"messageId", report.messageId},
                                                       {"model", report.model},
                                                       {"contextTokens", report.contextTokens},
                                                       {"promptTokens", report.promptTokens},
                                                       {"reservedTokens", report.reservedTokens},
                                                       {"parts", parts}})
                                 .toJson(QJsonDocument::Compact));
}

Result<ContextReport> contextReportFromJson(const QString& json) {
    const QJsonDocument doc = QJsonDocument::fromJson(json.toUtf8());
    if (!doc.isObject()) {
        return makeError("chat: a stored context report is not a JSON object");
    }
    const QJsonObject o = doc.object();
    ContextReport report;
    report.messageId = o.value("messageId").toString();
    report.model = o.value("model").toString();
    report.contextTokens = o.value("contextTokens").toInt();
    report.promptTokens = o.value("promptTokens").toInt();
    report.reservedTokens = o.value("reservedTokens").toInt();
    for (const QJsonValue& value : o.value("parts").toArray()) {
        const QJsonObject p = value.toObject();
        const auto kind = kindFromName(p.value("kind").toString());
        if (!kind) {
            return makeError("chat: a stored context report has a part of unknown kind '" +
                             p.value("kind").toString().toStdString() + "'");
        }
        report.parts.push_back({*kind, p.value("messageId").toString(), p.value("label").toString(),
                                p.value("tokens").toInt(), p.value("included").toBool()});
    }
    return report;
}

}  // namespace parley::chat
