// The process test_chat_crash kills: LocalChatService streaming an answer from the real SmolLM2
// into the database named on the command line. It reports on stdout
//   ids <userId> <conversationId> <userMessageId> <assistantMessageId>
//   text <base64 of the answer streamed so far>      (after every token)
#include <QCoreApplication>
#include <QTimer>

#include <cstdio>

#include "chat/chat_core.h"
#include "chat/local_chat_service.h"
#include "inference/catalog/model_catalog.h"
#include "serving/model_registry.h"

using namespace parley;
using namespace parley::chat;

namespace {

void say(const QString& line) {
    std::fputs(qPrintable(line + QLatin1Char('\n')), stdout);
    std::fflush(stdout);
}

[[noreturn]] void fail(const std::string& why) {
    std::fprintf(stderr, "chat_crash_runner: %s\n", why.c_str());
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        fail("usage: chat_crash_runner DATABASE");
    }
    serving::ModelRegistry registry;
    auto loaded = registry.load(catalog::defaultModelsDir() / "SmolLM2-135M-Instruct.Q4_1.gguf");
    if (!loaded) {
        fail(loaded.error().message);
    }
    ChatCoreConfig config;
    config.databasePath = QString::fromLocal8Bit(argv[1]);
    config.models = &registry;
    config.settings.generateTitles = false;
    ChatCore core(config);
    QObject replies;
    auto mailbox = Mailbox::create(&replies);
    std::unique_ptr<LocalChatService> chats;
    QString streamed;

    core.createUser(QStringLiteral("crash"), mailbox, [&](Result<QString> user) {
        if (!user) {
            fail(user.error().message);
        }
        chats = std::make_unique<LocalChatService>(core, *user);
        QObject::connect(chats.get(), &ChatService::streamEvent, [&](const StreamEvent& e) {
            if (e.kind != StreamEvent::Kind::Token) {
                fail("the answer ended before the kill");
            }
            streamed += e.text;
            say(QStringLiteral("text ") + QString::fromLatin1(streamed.toUtf8().toBase64()));
        });
        chats->createConversation(QStringLiteral("crash"), [&, userId = *user](auto c) {
            if (!c) {
                fail(c.error().message);
            }
            SendRequest request;
            request.conversationId = c->id;
            request.content =
                QStringLiteral("Write a very long story about a dragon and a knight.");
            request.options.temperature = 0;
            request.options.maxTokens = 1000;
            chats->send(request, [&, userId, conversationId = c->id](Result<StreamStarted> s) {
                if (!s) {
                    fail(s.error().message);
                }
                say(QStringLiteral("ids %1 %2 %3 %4")
                        .arg(userId, conversationId, s->userMessageId, s->assistantMessageId));
            });
        });
    });
    return app.exec();
}
