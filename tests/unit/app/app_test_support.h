// Shared by the app's tests: a tiny PDF with a text layer, and a long thread written straight
// into a store file (no model needed).
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <functional>

#include "store/conversation_repository.h"
#include "store/database.h"
#include "store/message_repository.h"

namespace parley::app_test {

// A one-page PDF whose text layer says `text` (Helvetica, a standard font, nothing embedded).
inline QByteArray tinyPdf(const QByteArray& text) {
    const QByteArray stream = "BT /F1 18 Tf 40 700 Td (" + text + ") Tj ET";
    const QList<QByteArray> objects = {
        "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        "<< /Length " + QByteArray::number(stream.size()) + " >>\nstream\n" + stream +
            "\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"};
    QByteArray pdf = "%PDF-1.4\n";
    QList<qsizetype> offsets;
    for (int i = 0; i < objects.size(); ++i) {
        offsets.append(pdf.size());
        pdf += QByteArray::number(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
    }
    const qsizetype xref = pdf.size();
    pdf += "xref\n0 " + QByteArray::number(objects.size() + 1) + "\n0000000000 65535 f \n";
    for (qsizetype offset : offsets)
        pdf += QByteArray::number(offset).rightJustified(10, '0') + " 00000 n \n";
    pdf += "trailer\n<< /Size " + QByteArray::number(objects.size() + 1) +
           " /Root 1 0 R >>\nstartxref\n" + QByteArray::number(xref) + "\n%%EOF\n";
    return pdf;
}

// Writes a conversation of `count` messages (user and assistant in turn, message i's text
// question(i) or answer(i), answers attributed to `model`) for `userId` into the store at
// `databasePath`; returns its id.
inline Result<QString> seedThread(const QString& databasePath, const QString& userId,
                                  const QString& title, int count,
                                  const std::function<QString(int)>& question,
                                  const std::function<QString(int)>& answer,
                                  const QString& model = QString()) {
    auto db = store::Database::open(databasePath);
    if (!db)
        return db.error();
    store::ConversationRepository conversations(*db.value());
    store::MessageRepository messages(*db.value());
    auto conversation = conversations.create(userId, title);
    if (!conversation)
        return conversation.error();
    QString parent;
    for (int i = 0; i < count; ++i) {
        const bool user = i % 2 == 0;
        auto message = messages.append({conversation->id, parent,
                                        user ? QStringLiteral("user") : QStringLiteral("assistant"),
                                        user ? question(i) : answer(i),
                                        store::MessageStatus::Complete, user ? QString() : model});
        if (!message)
            return message.error();
        parent = message->id;
    }
    return conversation->id;
}

// The same with short questions about the title and answers with Markdown and a code block.
inline Result<QString> seedThread(const QString& databasePath, const QString& userId,
                                  const QString& title, int count) {
    return seedThread(
        databasePath, userId, title, count,
        [&title](int i) { return QStringLiteral("Question %1 about %2?").arg(i).arg(title); },
        [](int i) {
            return QStringLiteral(
                       "Answer **%1** with a list:\n\n- one\n- two\n\n```cpp\nint x = %1;\n```")
                .arg(i);
        });
}

}  // namespace parley::app_test
