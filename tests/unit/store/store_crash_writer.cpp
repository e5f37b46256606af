// Helper for test_store_crash: writes a question and a streaming answer to the store at argv[1],
// checkpointing the answer every few milliseconds and reporting each commit on stdout, until the
// test kills it with SIGKILL.
#include <QCoreApplication>
#include <QThread>

#include <cstdio>

#include "store/conversation_repository.h"
#include "store/database.h"
#include "store/message_repository.h"
#include "store/user_repository.h"

using namespace parley::store;

namespace {

int fail(const parley::Error& error) {
    std::fprintf(stderr, "%s\n", error.message.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: store_crash_writer DATABASE\n");
        return 2;
    }
    auto db = Database::open(QString::fromLocal8Bit(argv[1]));
    if (!db) {
        return fail(db.error());
    }
    auto user = UserRepository(**db).createUser("crash");
    if (!user) {
        return fail(user.error());
    }
    auto conversation = ConversationRepository(**db).create(*user, "crash");
    if (!conversation) {
        return fail(conversation.error());
    }
    MessageRepository messages(**db);
    NewMessage question;
    question.conversationId = conversation->id;
    question.role = QStringLiteral("user");
    question.content = QStringLiteral("keep talking");
    auto asked = messages.append(question);
    if (!asked) {
        return fail(asked.error());
    }
    NewMessage answer;
    answer.conversationId = conversation->id;
    answer.parentId = asked->id;
    answer.role = QStringLiteral("assistant");
    answer.status = MessageStatus::Streaming;
    auto answering = messages.append(answer);
    if (!answering) {
        return fail(answering.error());
    }
    std::printf("ids %s %s %s\n", qPrintable(conversation->id), qPrintable(asked->id),
                qPrintable(answering->id));
    std::fflush(stdout);
    QString text;
    for (int step = 0;; ++step) {
        text += QStringLiteral("w%1 ").arg(step);
        if (parley::Status saved = messages.checkpoint(answering->id, text); !saved) {
            return fail(saved.error());
        }
        std::printf("checkpoint %d\n", step);
        std::fflush(stdout);
        QThread::msleep(5);
    }
}
