#include "chat/message_turns.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace parley::chat {

QString attachmentsText(const std::vector<Attachment>& attachments) {
    QString all;
    for (const Attachment& a : attachments) {
        all += QStringLiteral("\n\n[Attached file: %1]\n%2").arg(a.name, a.text);
    }
    return all;
}

QString attachmentsToJson(const std::vector<Attachment>& attachments) {
    QJsonArray list;
    for (const Attachment& a : attachments) {
        list.append(QJsonObject{{"name", a.name}, {"mimeType", a.mimeType}, {"text", a.text}});
    }
    return QString::fromUtf8(QJsonDocument(list).toJson(QJsonDocument::Compact));
}

std::vector<Attachment> attachmentsFromJson(const QString& json) {
    std::vector<Attachment> attachments;
    for (const QJsonValue& value : QJsonDocument::fromJson(json.toUtf8()).array()) {
        const QJsonObject o = value.toObject();
        attachments.push_back({o.value("name").toString(), o.value("mimeType").toString(),
                               o.value("text").toString()});
    }
    return attachments;
}

std::vector<ContextTurn> turnsOf(const std::vector<store::Message>& history) {
    std::vector<ContextTurn> turns;
    for (const store::Message& m : history) {
        // Failed answers and empty ones taught the model nothing; system and tool rows are not
        // turns of the dialogue.
        if ((m.role != QLatin1String("user") && m.role != QLatin1String("assistant")) ||
            m.content.isEmpty() || m.status == store::MessageStatus::Failed) {
            continue;
        }
        turns.push_back(
            {m.id, m.role, m.content + attachmentsText(attachmentsFromJson(m.attachmentsJson))});
    }
    return turns;
}

}  // namespace parley::chat
