#include "chat/conversation_export.h"

#include <QDateTime>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

namespace parley::chat {

namespace {

const QString kFormat = QStringLiteral("parley.conversations");
constexpr int kFormatVersion = 1;

QJsonValue optionalNumber(const std::optional<qint64>& value) {
    return value ? QJsonValue(double(*value)) : QJsonValue(QJsonValue::Null);
}

std::optional<qint64> numberOrNull(const QJsonValue& value) {
    if (!value.isDouble()) {
        return std::nullopt;
    }
    return qint64(value.toDouble());
}

// The JSON columns are exported as JSON values, not as strings holding JSON.
QJsonValue embedded(const QString& json) {
    const QJsonDocument doc = QJsonDocument::fromJson(json.toUtf8());
    return doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array());
}

QString flattened(const QJsonValue& value, const QString& fallback) {
    if (value.isObject()) {
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    }
    if (value.isArray()) {
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    }
    return fallback;
}

QJsonObject messageToJson(const store::Message& m) {
    return QJsonObject{
        {"id", m.id},
        {"parentId", m.parentId.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(m.parentId)},
        {"role", m.role},
        {"content", m.content},
        {"status", store::statusName(m.status)},
        {"model", m.model},
        {"promptTokens", optionalNumber(m.promptTokens)},
        {"completionTokens", optionalNumber(m.completionTokens)},
        {"ttftMs", optionalNumber(m.ttftMs)},
        {"totalMs", optionalNumber(m.totalMs)},
        {"finishReason", m.finishReason},
        {"createdAt", double(m.createdAt)},
        {"updatedAt", double(m.updatedAt)},
        {"citations", embedded(m.citationsJson)},
        {"toolCalls", embedded(m.toolCallsJson)},
        {"moderation", embedded(m.moderationJson)},
        {"attachments", embedded(m.attachmentsJson)},
    };
}

Result<store::ImportedConversation> parleyConversation(const QJsonObject& o, int index) {
    store::ImportedConversation imported;
    store::Conversation& c = imported.conversation;
    c.title = o.value("title").toString();
    c.pinned = o.value("pinned").toBool();
    c.archived = o.value("archived").toBool();
    for (const QJsonValue& tag : o.value("tags").toArray()) {
        c.tags.append(tag.toString());
    }
    c.createdAt = qint64(o.value("createdAt").toDouble());
    c.updatedAt = qint64(o.value("updatedAt").toDouble());
    imported.activeLeafMessageId = o.value("activeLeafMessageId").toString();
    for (const QJsonValue& value : o.value("messages").toArray()) {
        const QJsonObject j = value.toObject();
        store::Message m;
        m.id = j.value("id").toString();
        m.parentId = j.value("parentId").toString();
        m.role = j.value("role").toString();
        m.content = j.value("content").toString();
        const auto status = store::statusFromName(j.value("status").toString());
        if (m.id.isEmpty() || !status) {
            return makeError("import: conversation " + std::to_string(index) +
                             ": a message without an id or with an unknown status");
        }
        m.status = *status;
        m.model = j.value("model").toString();
        m.promptTokens = numberOrNull(j.value("promptTokens"));
        m.completionTokens = numberOrNull(j.value("completionTokens"));
        m.ttftMs = numberOrNull(j.value("ttftMs"));
        m.totalMs = numberOrNull(j.value("totalMs"));
        m.finishReason = j.value("finishReason").toString();
        m.createdAt = qint64(j.value("createdAt").toDouble());
        m.updatedAt = qint64(j.value("updatedAt").toDouble());
        m.citationsJson = flattened(j.value("citations"), m.citationsJson);
        m.toolCallsJson = flattened(j.value("toolCalls"), m.toolCallsJson);
        m.moderationJson = flattened(j.value("moderation"), m.moderationJson);
        m.attachmentsJson = flattened(j.value("attachments"), m.attachmentsJson);
        imported.messages.push_back(std::move(m));
    }
    return imported;
}

// ChatGPT keeps text in content.parts; other part types (images, files) carry no text.
QString chatGptText(const QJsonObject& content) {
    QStringList texts;
    for (const QJsonValue& part : content.value("parts").toArray()) {
        if (part.isString()) {
            texts.append(part.toString());
        }
    }
    if (texts.isEmpty() && content.value("text").isString()) {
        texts.append(content.value("text").toString());
    }
    return texts.join(QLatin1Char('\n'));
}

qint64 secondsToMs(const QJsonValue& value) {
    return value.isDouble() ? qint64(value.toDouble() * 1000.0) : 0;
}

// The mapping is a tree of nodes; nodes without a visible user/assistant message (the root, the
// hidden system prompt, tool plumbing) are skipped and their children hang on the nearest kept
// ancestor.
Result<store::ImportedConversation> chatGptConversation(const QJsonObject& o, int index) {
    store::ImportedConversation imported;
    store::Conversation& c = imported.conversation;
    c.title = o.value("title").toString();
    c.createdAt = secondsToMs(o.value("create_time"));
    c.updatedAt = secondsToMs(o.value("update_time"));
    const QJsonObject mapping = o.value("mapping").toObject();
    if (mapping.isEmpty()) {
        return makeError("import: ChatGPT conversation " + std::to_string(index) +
                         " has no mapping");
    }
    QHash<QString, QString> keptAncestor;  // node id -> id of the kept node standing for it
    std::vector<QString> roots;
    for (auto it = mapping.begin(); it != mapping.end(); ++it) {
        const QJsonValue parent = it.value().toObject().value("parent");
        if (parent.isNull() || !mapping.contains(parent.toString())) {
            roots.push_back(it.key());
        }
    }
    std::vector<std::pair<QString, QString>> stack;  // node, kept ancestor
    for (auto r = roots.rbegin(); r != roots.rend(); ++r) {
        stack.emplace_back(*r, QString());
    }
    QSet<QString> seen;
    while (!stack.empty()) {
        auto [nodeId, ancestor] = stack.back();
        stack.pop_back();
        if (seen.contains(nodeId)) {
            return makeError("import: ChatGPT conversation " + std::to_string(index) +
                             " has a cycle in its mapping");
        }
        seen.insert(nodeId);
        const QJsonObject node = mapping.value(nodeId).toObject();
        const QJsonObject message = node.value("message").toObject();
        const QString role = message.value("author").toObject().value("role").toString();
        const QString text = chatGptText(message.value("content").toObject());
        const bool hidden = message.value("metadata")
                                .toObject()
                                .value("is_visually_hidden_from_conversation")
                                .toBool();
        QString kept = ancestor;
        if ((role == QLatin1String("user") || role == QLatin1String("assistant")) &&
            !text.isEmpty() && !hidden) {
            store::Message m;
            m.id = nodeId;
            m.parentId = ancestor;
            m.role = role;
            m.content = text;
            m.status = store::MessageStatus::Complete;
            m.model = message.value("metadata").toObject().value("model_slug").toString();
            m.createdAt = secondsToMs(message.value("create_time"));
            m.updatedAt = m.createdAt;
            imported.messages.push_back(std::move(m));
            kept = nodeId;
        }
        keptAncestor.insert(nodeId, kept);
        const QJsonArray children = node.value("children").toArray();
        for (auto child = children.end(); child != children.begin();) {
            --child;
            if (mapping.contains(child->toString())) {
                stack.emplace_back(child->toString(), kept);
            }
        }
    }
    imported.activeLeafMessageId = keptAncestor.value(o.value("current_node").toString());
    return imported;
}

}  // namespace

QByteArray toParleyJson(const std::vector<ExportedConversation>& conversations) {
    QJsonArray list;
    for (const ExportedConversation& e : conversations) {
        const store::Conversation& c = e.conversation;
        QJsonArray messages;
        for (const store::Message& m : e.messages) {
            messages.append(messageToJson(m));
        }
        list.append(QJsonObject{
            {"id", c.id},
            {"title", c.title},
            {"pinned", c.pinned},
            {"archived", c.archived},
            {"tags", QJsonArray::fromStringList(c.tags)},
            {"createdAt", double(c.createdAt)},
            {"updatedAt", double(c.updatedAt)},
            {"activeLeafMessageId", c.activeLeafMessageId},
            {"messages", messages},
        });
    }
    return QJsonDocument(QJsonObject{{"format", kFormat},
                                     {"version", kFormatVersion},
                                     {"exportedAt", double(QDateTime::currentMSecsSinceEpoch())},
                                     {"conversations", list}})
        .toJson(QJsonDocument::Indented);
}

Result<std::vector<store::ImportedConversation>> parseConversationsJson(const QByteArray& json) {
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (doc.isNull()) {
        return makeError("import: not JSON: " + error.errorString().toStdString() + " at offset " +
                         std::to_string(error.offset));
    }
    std::vector<store::ImportedConversation> result;
    if (doc.isObject() && doc.object().value("format").toString() == kFormat) {
        const int version = doc.object().value("version").toInt();
        if (version > kFormatVersion) {
            return makeError("import: Parley export version " + std::to_string(version) +
                             " is newer than this build reads (" + std::to_string(kFormatVersion) +
                             ")");
        }
        const QJsonArray list = doc.object().value("conversations").toArray();
        for (int i = 0; i < list.size(); ++i) {
            auto c = parleyConversation(list.at(i).toObject(), i);
            if (!c) {
                return c.error();
            }
            result.push_back(std::move(c.value()));
        }
        return result;
    }
    if (doc.isArray()) {
        const QJsonArray list = doc.array();
        for (int i = 0; i < list.size(); ++i) {
            auto c = chatGptConversation(list.at(i).toObject(), i);
            if (!c) {
                return c.error();
            }
            result.push_back(std::move(c.value()));
        }
        return result;
    }
    return makeError(
        "import: neither a Parley export nor a ChatGPT conversations.json (a list of "
        "conversations with a mapping)");
}

}  // namespace parley::chat
